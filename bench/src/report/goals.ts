import { TARGETS } from '../lib/targets.ts'
import {
  formatBytes,
  formatNumber,
  formatSpread,
  medianOf,
  pairedDifferences,
  pairedRatios,
} from './format.ts'
import type { BenchResults } from './results.ts'

export interface GoalRow {
  goal: string
  result: string
  /** null when the scenario did not run (or a target was missing). */
  met: boolean | null
}

// Three decimals: a goal missed at 1.253× must not read as 1.25×.
const ratioText = (ratios: number[]) => `${formatSpread(ratios, 3, '×')}`

/** Client core budget: 8 KB min+gzip, read as 8 × 1024 bytes. */
export const CLIENT_CORE_BUDGET = 8 * 1024
/** A per-update cost counts as flat when 100k items cost at most this many times 1k items. */
export const FLAT_FACTOR = 2

/**
 * The goals, each judged on the median of run-paired values (ratios and differences
 * computed within one A B C round). A goal whose data is missing is reported as not measured.
 */
export function evaluateGoals(results: BenchResults): GoalRow[] {
  const rows: GoalRow[] = []
  const missing = (goal: string, why: string): GoalRow => ({ goal, result: why, met: null })

  const fanoutRatio = (
    group: 'ws' | 'sse',
    a: string,
    b: string,
    field: 'deliveriesPerSecond' | 'serverCpuUsPerDelivery',
  ): number[] | null => {
    const runs = results.fanout?.[group]
    const left = runs?.[a]
    const right = runs?.[b]
    if (!left?.length || !right?.length) return null
    return pairedRatios(
      left.map((run) => run[field]),
      right.map((run) => run[field]),
    )
  }

  const throughputGoal = (
    goal: string,
    group: 'ws' | 'sse',
    a: string,
    b: string,
    test: (r: number) => boolean,
  ) => {
    const ratios = fanoutRatio(group, a, b, 'deliveriesPerSecond')
    rows.push(
      ratios
        ? {
            goal,
            result: `${ratioText(ratios)} of ${TARGETS[b as 'raw-ws'].label}`,
            met: test(medianOf(ratios)),
          }
        : missing(goal, 'not measured'),
    )
  }
  throughputGoal('WS deliveries/s ≥ 0.8× raw ws', 'ws', 'sluice-ws', 'raw-ws', (r) => r >= 0.8)
  throughputGoal('WS deliveries/s ≥ 3× Socket.IO', 'ws', 'sluice-ws', 'socketio', (r) => r >= 3)
  throughputGoal('SSE deliveries/s ≥ 0.8× raw SSE loop', 'sse', 'sluice-sse', 'raw-sse', (r) => r >= 0.8)
  throughputGoal('SSE deliveries/s ahead of better-sse', 'sse', 'sluice-sse', 'better-sse', (r) => r > 1)

  for (const [group, a, b] of [
    ['ws', 'sluice-ws', 'raw-ws'],
    ['sse', 'sluice-sse', 'raw-sse'],
  ] as const) {
    const goal = `Server CPU per delivery (${group.toUpperCase()}) within 1.25× of raw`
    const ratios = fanoutRatio(group, a, b, 'serverCpuUsPerDelivery')
    rows.push(
      ratios
        ? { goal, result: `${ratioText(ratios)} of raw`, met: medianOf(ratios) <= 1.25 }
        : missing(goal, 'not measured'),
    )
  }

  {
    const goal = 'p99 latency within 1.5× raw ws at the fixed load'
    const level = results.latency?.levels[0]
    const sluice = level?.runs['sluice-ws']
    const raw = level?.runs['raw-ws']
    if (sluice?.length && raw?.length) {
      const ratios = pairedRatios(
        sluice.map((run) => run.p99Ms),
        raw.map((run) => run.p99Ms),
      )
      const lost = sluice.reduce((sum, run) => sum + run.lost, 0)
      rows.push({
        goal,
        result: `${ratioText(ratios)} of raw ws (p99 ${formatSpread(
          sluice.map((run) => run.p99Ms),
          1,
          ' ms',
        )} vs ${formatSpread(
          raw.map((run) => run.p99Ms),
          1,
          ' ms',
        )}); ${formatNumber(lost)} lost`,
        met: medianOf(ratios) <= 1.5 && lost === 0,
      })
    } else rows.push(missing(goal, 'not measured'))
  }

  for (const [a, b, label] of [
    ['sluice-ws', 'raw-ws', 'WS'],
    ['sluice-sse', 'raw-sse', 'SSE'],
  ] as const) {
    const goal = `Idle memory per connection (${label}, RSS) ≤ raw + 3 KB`
    const sluice = results.idle?.runs[a]
    const raw = results.idle?.runs[b]
    if (sluice?.length && raw?.length) {
      const differences = pairedDifferences(
        sluice.map((run) => run.rssBytesPerConnection),
        raw.map((run) => run.rssBytesPerConnection),
      )
      const median = medianOf(differences)
      rows.push({
        goal,
        result: `raw ${median >= 0 ? '+' : '−'} ${formatBytes(Math.abs(median))} (${formatBytes(
          medianOf(sluice.map((run) => run.rssBytesPerConnection)),
        )} vs ${formatBytes(medianOf(raw.map((run) => run.rssBytesPerConnection)))})`,
        met: median <= 3 * 1024,
      })
    } else rows.push(missing(goal, 'not measured'))
  }

  for (const [field, label] of [
    ['crudSingle', 'one event per flush'],
    ['crudBatch100', 'bursts of 100 per flush'],
  ] as const) {
    const goal = `Constant per-update merge cost, 1k → 100k items (${label})`
    const small = results.merge?.find((run) => run.size === 1_000)
    const large = results.merge?.find((run) => run.size === 100_000)
    if (small && large) {
      const slowdown = medianOf(small[field]) / medianOf(large[field])
      rows.push({
        goal,
        result: `${formatNumber(slowdown, 1)}× slower per update at 100k (${formatNumber(
          medianOf(small[field]),
        )} → ${formatNumber(medianOf(large[field]))} updates/s); flat means ≤ ${FLAT_FACTOR}×`,
        met: slowdown <= FLAT_FACTOR,
      })
    } else rows.push(missing(goal, 'not measured (needs the 1k and 100k sizes)'))
  }

  {
    const goal = 'Client core `{ createClient, crud }` ≤ 8 KB min+gzip'
    const core = results.bundles?.find((bundle) => bundle.id === 'sluice-client')
    rows.push(
      core && Number.isFinite(core.gzipBytes)
        ? {
            goal,
            result: `${formatNumber(core.gzipBytes)} B gzip (budget ${formatNumber(CLIENT_CORE_BUDGET)} B)`,
            met: core.gzipBytes <= CLIENT_CORE_BUDGET,
          }
        : missing(goal, 'not measured'),
    )
  }
  return rows
}
