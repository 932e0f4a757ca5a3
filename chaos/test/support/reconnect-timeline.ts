/**
 * When a fleet of clients came back after a restart, from the clients' side: for each connect
 * attempt, when the client's retry timer was set to fire (its own decision: the server's hint
 * or its backoff with jitter) and when it actually dialled, and each open.
 *
 * Both are kept because this suite runs the whole fleet in one process on a shared core: while
 * that process works through a burst of welcomes and resyncs, timers due meanwhile fire late and
 * together, so the dial times bunch up in a way distributed clients would not. The scheduled
 * times are what the spreading (server hint, client jitter) decides; the dial times are what
 * this one server saw from this one process.
 */
import type { SluiceClient } from '@sluice/client'

export interface Attempt {
  /** performance.now() when the client dialled. */
  at: number
  /** performance.now() it was scheduled for (null for a first connect, not a retry). */
  scheduledFor: number | null
  /** Why the connection before it ended ("SHUTTING_DOWN", "NETWORK: …"), null for a first connect. */
  after: string | null
}

export interface ConnectionLog {
  attempts: Attempt[]
  /** performance.now() of every open connection. */
  opens: number[]
}

export function logConnections(client: SluiceClient): ConnectionLog {
  const log: ConnectionLog = { attempts: [], opens: [] }
  let scheduledFor: number | null = null
  let after: string | null = null
  let status = client.$connection.get().status
  client.$connection.listen((state) => {
    // Field updates within a status (the transport chosen for an attempt) notify too.
    if (state.status === status) return
    status = state.status
    if (state.status === 'reconnecting' && state.nextRetryAt !== null) {
      // nextRetryAt is on the client's Date.now() clock; the timeline is on performance.now().
      scheduledFor = performance.now() + (state.nextRetryAt - Date.now())
      after = state.error ? `${state.error.code}: ${state.error.message}` : 'closed'
    } else if (state.status === 'connecting') {
      log.attempts.push({ at: performance.now(), scheduledFor, after })
      scheduledFor = after = null
    } else if (state.status === 'open') log.opens.push(performance.now())
  })
  return log
}

/**
 * The attempt that opened the client's first connection after `since` (the last attempt
 * before that open), or undefined when none opened.
 */
export function reconnectAttempt(log: ConnectionLog, since: number): Attempt | undefined {
  const open = log.opens.find((time) => time >= since)
  if (open === undefined) return undefined
  return log.attempts.filter((attempt) => attempt.at >= since && attempt.at <= open).at(-1)
}

/** Counts of `times` per `binMs` window from `from` on (times before `from` go in the first). */
export function histogram(times: number[], from: number, binMs: number): number[] {
  const bins: number[] = []
  for (const time of times) {
    const bin = Math.max(0, Math.floor((time - from) / binMs))
    while (bins.length <= bin) bins.push(0)
    bins[bin] = (bins[bin] as number) + 1
  }
  return bins
}

/** The value at quantile `q` (0..1) of `values`. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number
}

/**
 * A text bar chart of `bins`, one line per window: "+1300 ms    87 ████". With
 * `skipLeadingEmpty` the empty windows before the first count are left out.
 */
export function renderHistogram(bins: number[], binMs: number, { skipLeadingEmpty = false } = {}): string {
  const peak = Math.max(1, ...bins)
  const first = skipLeadingEmpty
    ? Math.max(
        0,
        bins.findIndex((count) => count > 0),
      )
    : 0
  return bins
    .slice(first)
    .map((count, i) => {
      const label = `+${(first + i) * binMs} ms`.padStart(9)
      return `${label} ${String(count).padStart(5)} ${'█'.repeat(Math.round((40 * count) / peak))}`.trimEnd()
    })
    .join('\n')
}
