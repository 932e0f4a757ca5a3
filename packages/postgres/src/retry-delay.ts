/** Shape of {@link exponentialBackoff}'s curve. */
export interface BackoffOptions {
  /** The first retry's ceiling. @default 250 */
  baseMs?: number
  /** The largest ceiling. @default 10_000 */
  maxMs?: number
  /** A source of numbers in [0, 1); inject one to make delays predictable in tests. @default Math.random */
  random?: () => number
}

/**
 * The default retry policy of the sources: the ceiling doubles per attempt up to `maxMs`, and
 * the delay is a random point in its upper half. Half is fixed so that a database being
 * restarted is not hammered by instant retries; half is random so that several server nodes
 * that lost the same database do not come back in step. The ceiling stays well inside the
 * server's dedup window (2 minutes by default), the time within which a re-read row is
 * recognised as already published.
 *
 * @example
 * const retryDelay = exponentialBackoff({ random: () => 0 })
 * retryDelay(0) // 125, retryDelay(3) // 1_000, retryDelay(10) // 5_000
 * @returns a function from the attempt (0 for the first retry) to the delay in ms, an integer
 */
export function exponentialBackoff(options: BackoffOptions = {}): (attempt: number) => number {
  const { baseMs = 250, maxMs = 10_000, random = Math.random } = options
  return (attempt) => {
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt))
    return Math.floor(ceiling / 2 + (random() * ceiling) / 2)
  }
}
