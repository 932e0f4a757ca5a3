import type { Json } from '@sluice/protocol'
import { describe, expect, it } from 'vitest'
import { type CrudState, crud } from '../merge/crud'
import { hydrate } from './hydrate'
import { createSubscriptionStore } from './subscription-store'
import type { SubscriptionSink } from './types'

const list = (items: unknown[]) => crud<Todo>().fromSnapshot!(items as Json)

interface Todo {
  id: string
}

const never = { schedule: () => {} }
const ids = (store: SubscriptionSink<CrudState<Todo>>) => store.$state.get().data.items.map((todo) => todo.id)

describe('hydrate', () => {
  it('seeds an empty store with server-rendered data and position', () => {
    const store = createSubscriptionStore({ merge: crud<Todo>(), scheduler: never })
    expect(hydrate(store, [{ id: 'a' }, { id: 'b' }], { epoch: 'e1', seq: 3 })).toBe(true)
    expect(ids(store)).toEqual(['a', 'b'])
    expect(store.$state.get().position).toEqual({ epoch: 'e1', seq: 3 })
    expect(store.$state.get().status).toBe('idle')
  })

  it('replaces older data of the same log', () => {
    const store = createSubscriptionStore({
      merge: crud<Todo>(),
      scheduler: never,
      initialData: list([{ id: 'old' }]),
      initialPosition: { epoch: 'e1', seq: 2 },
    })
    expect(hydrate(store, [{ id: 'new' }], { epoch: 'e1', seq: 5 })).toBe(true)
    expect(ids(store)).toEqual(['new'])
  })

  it('leaves a store alone that already holds newer or incomparable data', () => {
    const store = createSubscriptionStore({
      merge: crud<Todo>(),
      scheduler: never,
      initialData: list([{ id: 'live' }]),
      initialPosition: { epoch: 'e1', seq: 9 },
    })
    expect(hydrate(store, [{ id: 'stale' }], { epoch: 'e1', seq: 9 })).toBe(false)
    expect(hydrate(store, [{ id: 'stale' }], { epoch: 'e0', seq: 50 })).toBe(false)
    expect(hydrate(store, [{ id: 'stale' }])).toBe(false)
    expect(ids(store)).toEqual(['live'])
  })
})
