/** Shape of the reconnect delay curve. */
export interface BackoffOptions {
  /** Ceiling of the first retry's delay. @default 500 */
  baseMs?: number
  /** Growth of the ceiling per attempt. @default 2 */
  factor?: number
  /** Largest ceiling. @default 30_000 */
  maxMs?: number
}

/**
 * Full-jitter exponential backoff: a uniformly random delay in `[0, min(maxMs, baseMs·factor^attempt))`.
 * Full jitter spreads a crowd of clients that lost the same server across the whole window,
 * so a restarted server is not hit by every reconnect at once.
 *
 * @param attempt 0 for the first retry after a connection was lost
 * @param random a source of numbers in [0, 1); inject one to make delays predictable in tests
 * @returns the delay in ms, an integer
 * @example
 * retryDelay(3, { baseMs: 500 }, () => 0.5) // 2000: half of min(30_000, 500·2³)
 */
export function retryDelay(
  attempt: number,
  { baseMs = 500, factor = 2, maxMs = 30_000 }: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * factor ** Math.max(0, attempt)))
}

/**
 * The delay before the next connect: the server's `retryAfterMs` (reconnect frame, connect-time
 * OVERLOADED or 429) is a floor — retrying earlier would only be refused again.
 */
export const nextDelay = (backoff: number, retryAfterMs: number | undefined): number =>
  Math.max(backoff, retryAfterMs ?? 0)
