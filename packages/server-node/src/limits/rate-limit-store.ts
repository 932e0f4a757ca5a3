/** A token bucket's settings: `burst` tokens at most, refilled continuously at `perSecond`. */
export interface RateLimit {
  /** Tokens added per second (may be fractional: 0.5 is one every two seconds). */
  perSecond: number
  /** Capacity, and what a key that was never seen (or was idle long enough) starts with. At least 1. */
  burst: number
}

/** The answer of {@link RateLimitStore.consume}. */
export interface RateLimitVerdict {
  /** Whether the tokens were there; they are spent only then. */
  allowed: boolean
  /** 0 when allowed; else the whole number of ms until `cost` tokens will be there. */
  retryAfterMs: number
}

/**
 * Where the server keeps the token buckets of its per-identity and per-procedure limits, by
 * key. The in-memory default ({@link createMemoryRateLimitStore}) counts on one node; a store
 * that several nodes share (the Redis engine brings one: `engine.rateLimits`) makes a limit
 * hold for the whole deployment, whichever node a client reaches.
 *
 * A store must be atomic per key (two consumes never both spend the last token), must create a
 * missing bucket full, and may forget a bucket once it would be full again. A store that throws
 * (or rejects) fails the command with that error: a `ServerError` keeps its code (UNAVAILABLE
 * for an unreachable Redis), anything else is INTERNAL and reported.
 *
 * @example
 * const store: RateLimitStore = {
 *   consume: (key, cost, { perSecond, burst }) => myLimiter.take(key, cost, perSecond, burst),
 * }
 * createSluiceServer({ rateLimitStore: store, identityRateLimits: { calls: { perSecond: 5, burst: 10 } } })
 */
export interface RateLimitStore {
  /**
   * Takes `cost` tokens from the bucket `key` (created full with `limit` if it does not exist).
   * The server always passes the same `limit` for a key and a `cost` no larger than `burst`.
   */
  consume(key: string, cost: number, limit: RateLimit): RateLimitVerdict | Promise<RateLimitVerdict>
}

/** Options of {@link createMemoryRateLimitStore}. */
export interface MemoryRateLimitStoreOptions {
  /** Clock in ms; injectable for tests. @default Date.now, looked up per call so fake timers apply */
  now?: () => number
}

/** The in-memory store: synchronous, and it tells how many buckets it holds. */
export interface MemoryRateLimitStore extends RateLimitStore {
  consume(key: string, cost: number, limit: RateLimit): RateLimitVerdict
  /** Buckets held now: the ones that have not refilled since their last consume, plus any not swept yet. */
  readonly size: number
}

interface Bucket {
  tokens: number
  updatedAt: number
  /** When the bucket will be full again: from then on it is the same as no bucket. */
  fullAt: number
}

// Buckets are swept when the map reaches this size, then twice the size that survived.
const FIRST_SWEEP = 1024
// Tokens are fractions of binary floating point: 499 ms at 2/s leaves 0.998 tokens as
// 0.99799…, and the wait for the last 0.002 would round up to 2 ms. Sub-millionth differences
// are noise, not tokens.
const EPSILON = 1e-6

/**
 * The default {@link RateLimitStore}: buckets in a Map of this process. Synchronous, so a
 * limited command costs no extra tick. A bucket that has refilled is as good as absent, so the
 * map is swept of those whenever it doubles in size (amortized O(1) per consume; no timer).
 *
 * @example
 * const store = createMemoryRateLimitStore()
 * store.consume('identity:alice:calls', 1, { perSecond: 5, burst: 10 }) // { allowed: true, retryAfterMs: 0 }
 */
/* @__NO_SIDE_EFFECTS__ */
export function createMemoryRateLimitStore(options: MemoryRateLimitStoreOptions = {}): MemoryRateLimitStore {
  const now = options.now ?? (() => Date.now())
  const buckets = new Map<string, Bucket>()
  let sweepAt = FIRST_SWEEP

  const sweep = (at: number) => {
    for (const [key, bucket] of buckets) {
      if (bucket.fullAt <= at) buckets.delete(key)
    }
    sweepAt = Math.max(FIRST_SWEEP, buckets.size * 2)
  }

  return {
    consume(key, cost, { perSecond, burst }) {
      const at = now()
      const perMs = perSecond / 1000
      let bucket = buckets.get(key)
      if (bucket === undefined) {
        if (buckets.size >= sweepAt) sweep(at)
        bucket = { tokens: burst, updatedAt: at, fullAt: at }
        buckets.set(key, bucket)
      } else {
        // A clock that steps backwards (NTP) must not drain or overfill the bucket.
        const elapsed = Math.max(0, at - bucket.updatedAt)
        bucket.tokens = Math.min(burst, bucket.tokens + elapsed * perMs)
        bucket.updatedAt = at
      }
      if (bucket.tokens >= cost - EPSILON) {
        bucket.tokens = Math.max(0, bucket.tokens - cost)
        bucket.fullAt = at + Math.ceil((burst - bucket.tokens) / perMs)
        return { allowed: true, retryAfterMs: 0 }
      }
      return {
        allowed: false,
        retryAfterMs: Math.max(1, Math.ceil((cost - bucket.tokens) / perMs - EPSILON)),
      }
    },
    get size() {
      return buckets.size
    },
  }
}
