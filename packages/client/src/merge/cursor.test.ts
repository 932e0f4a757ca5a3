import { describe, expect, it } from 'vitest'
import { cursor } from './cursor'
import { ev, snap } from './test-events'

interface Pointer {
  userId: string
  x: number
}

describe('cursor', () => {
  it('keeps the latest value per key and removes on deleted or leave', () => {
    const merge = cursor<Pointer>({ key: 'userId' })
    let state = merge.apply(merge.initial(), [
      ev('set', { userId: 'a', x: 1 }),
      ev('updated', { userId: 'b', x: 2 }),
      ev('set', { userId: 'a', x: 3 }),
    ])
    expect([...state]).toEqual([
      ['a', { userId: 'a', x: 3 }],
      ['b', { userId: 'b', x: 2 }],
    ])
    state = merge.apply(state, [ev('leave', undefined, 'a'), ev('deleted', { userId: 'b', x: 0 })])
    expect(state.size).toBe(0)
  })

  it('returns the same reference when nothing changed', () => {
    const merge = cursor<Pointer>({ key: 'userId' })
    const value = { userId: 'a', x: 1 }
    const state = merge.apply(merge.initial(), [ev('set', value)])
    expect(
      merge.apply(state, [ev('deleted', undefined, 'zz'), ev('typing', value), ev('set', { x: 1 })]),
    ).toBe(state)
  })

  it('does not mutate the previous state', () => {
    const merge = cursor<Pointer>({ key: 'userId' })
    const state = merge.apply(merge.initial(), [ev('set', { userId: 'a', x: 1 })])
    merge.apply(state, [ev('set', { userId: 'a', x: 2 }), ev('set', { userId: 'b', x: 2 })])
    expect([...state]).toEqual([['a', { userId: 'a', x: 1 }]])
  })

  it('reads snapshots as an object map or an array', () => {
    const merge = cursor<Pointer>({ key: 'userId' })
    expect([...snap(merge, { a: { userId: 'a', x: 1 } })]).toEqual([['a', { userId: 'a', x: 1 }]])
    expect([...snap(merge, [{ userId: 'b', x: 2 }])]).toEqual([['b', { userId: 'b', x: 2 }]])
    expect(() => snap(merge, 3)).toThrow(
      new TypeError('cursor(): snapshot data must be an object or an array; received 3'),
    )
  })
})
