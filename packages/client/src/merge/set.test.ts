import { describe, expect, it } from 'vitest'
import { set } from './set'
import { ev, snap } from './test-events'

describe('set', () => {
  it('takes the data of the last event of a batch, and null on deleted', () => {
    const merge = set<{ score: number }>()
    expect(merge.initial()).toBe(null)
    const state = merge.apply(null, [ev('set', { score: 1 }), ev('set', { score: 2 })])
    expect(state).toEqual({ score: 2 })
    expect(merge.apply(state, [ev('deleted')])).toBe(null)
    expect(merge.apply(state, [ev('set')])).toBe(null)
  })

  it('returns the same reference for an empty batch or the same value', () => {
    const merge = set<string>()
    expect(merge.apply('a', [])).toBe('a')
    expect(merge.apply('a', [ev('set', 'a')])).toBe('a')
  })

  it('uses snapshot data as the value', () => {
    expect(snap(set<number[]>(), [1, 2])).toEqual([1, 2])
  })
})
