import { expect, it } from 'vitest'
import { exponentialBackoff } from './retry-delay'

it('doubles the ceiling per attempt up to maxMs, the delay in its upper half', () => {
  const low = exponentialBackoff({ random: () => 0 })
  const high = exponentialBackoff({ random: () => 0.999 })
  expect([0, 1, 2, 3, 4, 5, 6, 10].map(low)).toEqual([125, 250, 500, 1_000, 2_000, 4_000, 5_000, 5_000])
  expect([0, 1, 2, 6].map(high)).toEqual([249, 499, 999, 9_995])
  expect(exponentialBackoff({ baseMs: 10, maxMs: 40, random: () => 0.5 })(5)).toBe(30)
})
