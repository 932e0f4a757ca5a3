import { TokenBucket } from '../limits/token-bucket'
import type { ResolvedOptions } from '../options'

/**
 * The per-connection command limiter, or null when rate limiting is off. Every frame counts,
 * malformed ones included, so a client cannot flood the decoder with garbage for free.
 */
export function createCommandLimiter(
  rateLimit: ResolvedOptions['rateLimit'],
  now: () => number,
): { take(): number } | null {
  if (rateLimit === false) return null
  return new TokenBucket({ perSecond: rateLimit.perSecond, burst: rateLimit.burst, now })
}

/** Whether a connection's outbound buffer went over the limit and it must be closed (4507). */
export function isSlowConsumer(bufferedBytes: number, maxBufferedBytes: number): boolean {
  return bufferedBytes > maxBufferedBytes
}
