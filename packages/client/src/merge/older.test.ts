import { describe, expect, it } from 'vitest'
import { crud } from './crud'
import { latest } from './latest'
import { ev } from './test-events'

// `older`: a page of events read back from the log (`loadMore`), merged under the state.
type Item = { id: string; v: number }
const none = new Set<string>()

describe('latest older', () => {
  it('puts the older entries first, as many as fit under size, and keeps the reference when none fit', () => {
    const merge = latest<number>({ size: 4 })
    const state = merge.apply(merge.initial(), [ev('x', 5), ev('x', 6)])
    expect(merge.older!(state, [ev('x', 1), ev('ping'), ev('x', 2), ev('x', 3), ev('x', 4)], none)).toEqual([
      3, 4, 5, 6,
    ])
    const full = merge.apply(merge.initial(), [ev('x', 1), ev('x', 2), ev('x', 3), ev('x', 4)])
    expect(merge.older!(full, [ev('x', 0)], none)).toBe(full)
    expect(merge.older!(state, [ev('ping')], none)).toBe(state)
  })
})

describe('crud older', () => {
  it('inserts the outcome of each key absent from the list and not seen later, before the items', () => {
    const merge = crud<Item>()
    const state = merge.apply(merge.initial(), [ev('created', { id: 'n', v: 9 }, 'n')])
    const page = [
      ev('created', { id: 'a', v: 1 }, 'a'),
      ev('created', { id: 'b', v: 1 }, 'b'),
      ev('updated', { id: 'a', v: 2 }, 'a'),
      ev('created', { id: 'c', v: 1 }, 'c'),
      ev('deleted', undefined, 'c'),
      ev('created', { id: 'n', v: 0 }, 'n'),
      ev('created', { id: 'gone', v: 1 }, 'gone'),
    ]
    // `gone` was deleted by an event newer than the page: the page must not bring it back.
    const merged = merge.older!(state, page, new Set(['n', 'gone']))
    expect(merged.items).toEqual([
      { id: 'b', v: 1 },
      { id: 'a', v: 2 },
      { id: 'n', v: 9 },
    ])
    expect(merged.get('a')).toEqual({ id: 'a', v: 2 })
  })

  it('with prepend (newest first), puts the older items after the list, newest of them first', () => {
    const merge = crud<Item>({ prepend: true })
    const state = merge.apply(merge.initial(), [ev('created', { id: 'n', v: 9 }, 'n')])
    const merged = merge.older!(
      state,
      [ev('created', { id: 'a', v: 1 }, 'a'), ev('created', { id: 'b', v: 1 }, 'b')],
      none,
    )
    expect(merged.items).toEqual([
      { id: 'n', v: 9 },
      { id: 'b', v: 1 },
      { id: 'a', v: 1 },
    ])
  })

  it('with patch, merges the page updates of a key into its item; a page adding nothing keeps the reference', () => {
    const merge = crud<Item & { name?: string }>({ patch: true })
    const state = merge.initial()
    const merged = merge.older!(
      state,
      [ev('created', { id: 'a', v: 1, name: 'A' }, 'a'), ev('updated', { id: 'a', v: 2 }, 'a')],
      none,
    )
    expect(merged.items).toEqual([{ id: 'a', v: 2, name: 'A' }])
    expect(merge.older!(merged, [ev('deleted', undefined, 'z')], none)).toBe(merged)
  })
})
