import type { RateLimitStore } from '@sluice/server-node'
import { nodeKeys } from './keys'
import type { RedisLink } from './redis-link'
import { RATE_LIMIT } from './scripts'

/**
 * The server's rate limit buckets in Redis, through the engine's own connection: one script per
 * take (RATE_LIMIT), so a limit holds for the whole deployment whichever node a client reaches,
 * and two nodes never both spend the last token. Buckets are keys under the engine's prefix
 * (`<prefix>:limit:<key>`) that expire once they would be full again.
 *
 * While Redis cannot be reached a take fails with UNAVAILABLE (and `retryAfterMs`), like a
 * publish: the command is refused rather than let through unlimited.
 */
export function createRedisRateLimitStore(link: RedisLink, prefix: string): RateLimitStore {
  const names = nodeKeys(prefix)
  return {
    async consume(key, cost, { perSecond, burst }) {
      const reply = (await link.run(
        RATE_LIMIT,
        [names.rateLimit(key)],
        [String(perSecond), String(burst), String(cost)],
        'checking a rate limit failed',
      )) as [number, number]
      return { allowed: Number(reply[0]) === 1, retryAfterMs: Number(reply[1]) }
    },
  }
}
