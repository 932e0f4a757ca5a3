import { describe, expect, it } from 'vitest'
import { custom } from './custom'
import { ev, snap } from './test-events'

describe('custom', () => {
  it('folds each event through the reducer in order', () => {
    const merge = custom<string[]>((state, event) => [...state, event.kind], [])
    expect(merge.apply(merge.initial(), [ev('a'), ev('b'), ev('c')])).toEqual(['a', 'b', 'c'])
  })

  it('accepts a factory for the initial state and returns the reducer result as is', () => {
    const merge = custom<{ n: number }>(
      (state, event) => (event.kind === 'inc' ? { n: state.n + 1 } : state),
      () => ({ n: 0 }),
    )
    const first = merge.initial()
    expect(merge.initial()).not.toBe(first)
    expect(merge.apply(first, [ev('noop')])).toBe(first)
    expect(merge.apply(first, [ev('inc'), ev('inc')])).toEqual({ n: 2 })
  })

  it('uses the fromSnapshot option when given', () => {
    expect(custom<number>((n) => n, 0).fromSnapshot).toBeUndefined()
    const merge = custom<number>((n) => n, 0, { fromSnapshot: (data) => (data as number[]).length })
    expect(snap(merge, [1, 2, 3])).toBe(3)
  })
})
