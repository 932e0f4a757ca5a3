import { type Spread, spread } from '../lib/stats.ts'

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

export function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a'
  if (digits === 0) return integer.format(value)
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** `median (min–max)`, or just the value for a single run. */
export function formatSpread(values: readonly number[], digits = 0, unit = ''): string {
  if (values.length === 0 || values.some((value) => !Number.isFinite(value))) return 'n/a'
  const { median, min, max } = spread(values)
  if (values.length === 1) return `${formatNumber(median, digits)}${unit}`
  return `${formatNumber(median, digits)}${unit} (${formatNumber(min, digits)}–${formatNumber(max, digits)})`
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a'
  return Math.abs(bytes) >= 1024 ? `${formatNumber(bytes / 1024, 2)} KB` : `${formatNumber(bytes)} B`
}

/** Run-by-run ratios a[i] / b[i]: both from the same A B C round. */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = []
  for (let i = 0; i < Math.min(a.length, b.length); i++) out.push(a[i]! / b[i]!)
  return out
}

export function pairedDifferences(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = []
  for (let i = 0; i < Math.min(a.length, b.length); i++) out.push(a[i]! - b[i]!)
  return out
}

export function medianOf(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : spread(values).median
}

export type { Spread }

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}
