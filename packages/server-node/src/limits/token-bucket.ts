/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second. */
  perSecond: number
  /** Capacity: the most tokens that can be spent at once after a quiet period. The bucket starts full. */
  burst: number
  /** Clock in ms; injectable for tests. @default Date.now */
  now?: () => number
}

/**
 * A token bucket rate limiter: `burst` tokens, refilled continuously at `perSecond`.
 *
 * @example
 * const bucket = new TokenBucket({ perSecond: 100, burst: 200 })
 * const waitMs = bucket.take()
 * if (waitMs > 0) reply({ type: 'error', code: 'RATE_LIMITED', retryAfterMs: waitMs })
 */
export class TokenBucket {
  readonly #perMs: number
  readonly #burst: number
  readonly #now: () => number
  #tokens: number
  #updatedAt: number

  constructor({ perSecond, burst, now = () => Date.now() }: TokenBucketOptions) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) {
      throw new RangeError(`TokenBucket: perSecond must be a positive number, got ${perSecond}`)
    }
    if (!(burst >= 1) || !Number.isFinite(burst)) {
      throw new RangeError(`TokenBucket: burst must be a number ≥ 1, got ${burst}`)
    }
    this.#perMs = perSecond / 1000
    this.#burst = burst
    this.#now = now
    this.#tokens = burst
    this.#updatedAt = now()
  }

  /**
   * Takes `n` tokens. Returns 0 when they were available (and are now spent); otherwise spends
   * nothing and returns the whole number of ms until `n` tokens will be available, or Infinity
   * when `n` is larger than the burst and can never be served.
   */
  take(n = 1): number {
    this.#refill()
    if (this.#tokens >= n) {
      this.#tokens -= n
      return 0
    }
    if (n > this.#burst) return Number.POSITIVE_INFINITY
    return Math.ceil((n - this.#tokens) / this.#perMs)
  }

  /** Tokens available right now (fractional). */
  get available(): number {
    this.#refill()
    return this.#tokens
  }

  #refill(): void {
    const now = this.#now()
    // A clock that steps backwards (NTP) must not drain or overfill the bucket.
    const elapsed = Math.max(0, now - this.#updatedAt)
    this.#updatedAt = now
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#perMs)
  }
}
