import { describe, expect, test } from 'vitest'
import { nextDelay, retryDelay } from './backoff'

describe('retryDelay', () => {
  test('is random × min(maxMs, baseMs·factor^attempt), floored', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelay(n, {}, () => 0.5))).toEqual([
      250, 500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000,
    ])
    expect(retryDelay(2, { baseMs: 100, factor: 3, maxMs: 10_000 }, () => 0.999)).toBe(899)
    expect(retryDelay(5, {}, () => 0)).toBe(0)
  })

  test('a negative attempt counts as the first', () => {
    expect(retryDelay(-3, {}, () => 0.5)).toBe(250)
  })
})

describe('nextDelay', () => {
  test("uses the server's retryAfterMs as a floor", () => {
    expect(nextDelay(250, undefined)).toBe(250)
    expect(nextDelay(250, 5000)).toBe(5000)
    expect(nextDelay(9000, 5000)).toBe(9000)
  })
})
