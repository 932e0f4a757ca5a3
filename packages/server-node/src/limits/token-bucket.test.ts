import { describe, expect, it } from 'vitest'
import { TokenBucket } from './token-bucket'

function bucket(perSecond: number, burst: number) {
  const clock = { ms: 1_000_000 }
  return { clock, bucket: new TokenBucket({ perSecond, burst, now: () => clock.ms }) }
}

describe('TokenBucket', () => {
  it('starts full and serves a burst, then says how long to wait', () => {
    const { bucket: b } = bucket(10, 3)
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([0, 0, 0, 100])
    expect(b.available).toBe(0)
  })

  it('refills continuously at perSecond', () => {
    const { clock, bucket: b } = bucket(10, 3)
    b.take(3)
    clock.ms += 50
    expect(b.take()).toBe(50)
    clock.ms += 50
    expect(b.take()).toBe(0)
    expect(b.take()).toBe(100)
  })

  it('spends nothing when refusing', () => {
    const { clock, bucket: b } = bucket(10, 5)
    b.take(5)
    clock.ms += 200
    expect(b.take(3)).toBe(100)
    expect(b.available).toBeCloseTo(2, 10)
    expect(b.take(2)).toBe(0)
  })

  it('never holds more than burst', () => {
    const { clock, bucket: b } = bucket(100, 4)
    clock.ms += 60_000
    expect(b.available).toBe(4)
    expect(b.take(4)).toBe(0)
    expect(b.take()).toBe(10)
  })

  it('rounds the wait up to a whole ms', () => {
    const { clock, bucket: b } = bucket(3, 1)
    b.take()
    clock.ms += 1
    expect(b.take()).toBe(333)
  })

  it('returns Infinity for more tokens than the burst', () => {
    const { bucket: b } = bucket(10, 3)
    expect(b.take(4)).toBe(Number.POSITIVE_INFINITY)
    expect(b.available).toBe(3)
  })

  it('ignores a clock that steps backwards', () => {
    const { clock, bucket: b } = bucket(10, 2)
    b.take(2)
    clock.ms -= 10_000
    expect(b.take()).toBe(100)
    clock.ms += 100
    expect(b.take()).toBe(0)
  })

  it('rejects nonsensical options', () => {
    expect(() => new TokenBucket({ perSecond: 0, burst: 1 })).toThrow(
      'perSecond must be a positive number, got 0',
    )
    expect(() => new TokenBucket({ perSecond: 1, burst: 0.5 })).toThrow('burst must be a number ≥ 1, got 0.5')
    expect(() => new TokenBucket({ perSecond: Number.NaN, burst: 1 })).toThrow(RangeError)
  })
})
