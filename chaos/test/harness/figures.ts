import { writeFigures } from '../support/reliability-doc'
import { LONG } from '../support/sizing'

/**
 * The figures a scenario file measured: printed after every run, and written into its block of
 * docs/RELIABILITY.md by a long run (SLUICE_CHAOS_LONG=1) only, so the document always shows
 * the bigger run's numbers.
 */
export class Figures {
  readonly #lines: string[] = []

  constructor(
    readonly id: string,
    readonly header?: string,
  ) {}

  add(line: string): void {
    this.#lines.push(line)
  }

  /** Prints the figures and, in a long run, writes them to the document. */
  publish(): void {
    if (this.#lines.length === 0) return
    const text = [this.header, ...this.#lines].filter((line) => line !== undefined).join('\n')
    console.info(`[chaos] ${this.id}\n${text}`)
    if (LONG)
      writeFigures(
        this.id,
        `${text}\n\n_${new Date().toISOString().slice(0, 10)}, SLUICE_CHAOS_LONG=1, Node ${process.versions.node}._`,
      )
  }
}

/** A duration in ms, rounded for a table. */
export const ms = (value: number): string => `${Math.round(value)} ms`
