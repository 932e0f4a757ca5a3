import { describe, expect, it } from 'vitest'
import { createMemoryRateLimitStore } from './rate-limit-store'

const limit = { perSecond: 2, burst: 3 }

describe('createMemoryRateLimitStore', () => {
  it('starts a key full, refuses with the exact wait, and refills continuously', () => {
    let now = 1_000
    const store = createMemoryRateLimitStore({ now: () => now })
    expect([1, 2, 3, 4].map(() => store.consume('a', 1, limit))).toEqual([
      { allowed: true, retryAfterMs: 0 },
      { allowed: true, retryAfterMs: 0 },
      { allowed: true, retryAfterMs: 0 },
      { allowed: false, retryAfterMs: 500 },
    ])
    now += 499
    expect(store.consume('a', 1, limit)).toEqual({ allowed: false, retryAfterMs: 1 })
    now += 1
    expect(store.consume('a', 1, limit)).toEqual({ allowed: true, retryAfterMs: 0 })
    // Refilling never goes past the burst, however long the key was quiet.
    now += 60_000
    expect(store.consume('a', 3, limit)).toEqual({ allowed: true, retryAfterMs: 0 })
    expect(store.consume('a', 1, limit)).toEqual({ allowed: false, retryAfterMs: 500 })
  })

  it('keeps keys apart and spends nothing on a refusal', () => {
    let now = 0
    const store = createMemoryRateLimitStore({ now: () => now })
    store.consume('a', 3, limit)
    expect(store.consume('b', 1, limit)).toEqual({ allowed: true, retryAfterMs: 0 })
    now += 500
    expect(store.consume('a', 2, limit)).toEqual({ allowed: false, retryAfterMs: 500 })
    now += 500
    // The refused take of 2 did not spend the token that was there then.
    expect(store.consume('a', 2, limit)).toEqual({ allowed: true, retryAfterMs: 0 })
  })

  it('neither drains nor overfills when the clock steps backwards', () => {
    let now = 10_000
    const store = createMemoryRateLimitStore({ now: () => now })
    store.consume('a', 3, limit)
    now -= 5_000
    expect(store.consume('a', 1, limit)).toEqual({ allowed: false, retryAfterMs: 500 })
    now += 500
    expect(store.consume('a', 1, limit)).toEqual({ allowed: true, retryAfterMs: 0 })
  })

  it('forgets buckets that refilled once the map has doubled, and keeps the others', () => {
    let now = 0
    const store = createMemoryRateLimitStore({ now: () => now })
    for (let i = 0; i < 1_000; i++) store.consume(`idle-${i}`, 1, limit)
    now += 500 // one token back: each of those is full again
    for (let i = 0; i < 24; i++) store.consume(`busy-${i}`, 3, limit)
    expect(store.size).toBe(1_024)
    store.consume('new', 1, limit) // the 1,025th key sweeps first
    expect(store.size).toBe(25)
    expect(store.consume('busy-0', 1, limit)).toEqual({ allowed: false, retryAfterMs: 500 })
  })
})
