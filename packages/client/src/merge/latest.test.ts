import { describe, expect, it } from 'vitest'
import { latest } from './latest'
import { ev, snap } from './test-events'

describe('latest', () => {
  it('keeps the data of the last `size` events, oldest first', () => {
    const merge = latest<number>({ size: 3 })
    let state = merge.apply(merge.initial(), [ev('x', 1), ev('x', 2)])
    expect(state).toEqual([1, 2])
    state = merge.apply(state, [ev('x', 3), ev('x', 4)])
    expect(state).toEqual([2, 3, 4])
    state = merge.apply(state, [ev('x', 5), ev('x', 6), ev('x', 7), ev('x', 8), ev('x', 9)])
    expect(state).toEqual([7, 8, 9])
  })

  it('skips events without data and returns the same reference when none had data', () => {
    const merge = latest<number>({ size: 2 })
    const state = merge.apply(merge.initial(), [ev('x', 1), ev('ping'), ev('x', 2), ev('ping')])
    expect(state).toEqual([1, 2])
    expect(merge.apply(state, [ev('ping')])).toBe(state)
    expect(merge.apply(state, [])).toBe(state)
  })

  it('does not mutate the previous state', () => {
    const merge = latest<number>({ size: 5 })
    const state = merge.apply(merge.initial(), [ev('x', 1)])
    merge.apply(state, [ev('x', 2)])
    expect(state).toEqual([1])
  })

  it('keeps the tail of a snapshot', () => {
    const merge = latest<number>({ size: 2 })
    expect(snap(merge, [1, 2, 3])).toEqual([2, 3])
    expect(snap(merge, { items: [4] })).toEqual([4])
  })

  it('rejects a size that is not a positive integer', () => {
    expect(() => latest({ size: 0 })).toThrow(
      new RangeError('latest(): size must be a positive integer; received 0'),
    )
    expect(() => latest({ size: 1.5 })).toThrow(RangeError)
  })
})
