import type { EventFrame, Json } from '@sluice/protocol'
import { describe, expect, it, vi } from 'vitest'
import { type CrudState, crud } from '../merge/crud'
import { custom } from '../merge/custom'
import { createSubscriptionStore } from './subscription-store'
import type { Scheduler } from './types'

const list = (items: unknown[]) => crud<Todo>().fromSnapshot!(items as Json)

interface Todo {
  id: string
  title: string
}

/** A scheduler the test flushes by hand, to count exactly how many flushes were asked for. */
function manualScheduler() {
  const queued: Array<() => void> = []
  const scheduler: Scheduler = { schedule: (flush) => void queued.push(flush) }
  return {
    scheduler,
    get scheduled() {
      return queued.length
    },
    run() {
      for (const flush of queued.splice(0)) flush()
    },
  }
}

let seq = 0
function event(kind: string, data: Todo | undefined, extra: Partial<EventFrame> = {}): EventFrame {
  seq++
  return {
    type: 'event',
    topic: 'todos',
    epoch: 'e1',
    seq,
    kind,
    ts: 1,
    ...(data && { key: data.id, data: { ...data } }),
    ...extra,
  }
}

function at(epoch: string, n: number, frame: EventFrame): EventFrame {
  return { ...frame, epoch, seq: n }
}

const titles = (items: readonly Todo[]) => items.map((todo) => `${todo.id}:${todo.title}`)

describe('createSubscriptionStore', () => {
  it('starts from merge.initial() with status idle and no position', () => {
    const store = createSubscriptionStore({ merge: crud<Todo>(), scheduler: manualScheduler().scheduler })
    const { data, ...rest } = store.$state.get()
    expect(data.items).toEqual([])
    expect(rest).toEqual({ status: 'idle', error: null, stale: null, position: null })
  })

  it('starts from initialData, at initialPosition', () => {
    const store = createSubscriptionStore({
      merge: crud<Todo>(),
      scheduler: manualScheduler().scheduler,
      initialData: list([{ id: 'a', title: 'A' }]),
      initialPosition: { epoch: 'e1', seq: 4 },
    })
    const state = store.$state.get()
    expect(titles(state.data.items)).toEqual(['a:A'])
    expect(state.position).toEqual({ epoch: 'e1', seq: 4 })
  })

  it('applies a burst of 1,000 events in one merge call and one notification', async () => {
    const merge = crud<Todo>()
    const apply = vi.spyOn(merge, 'apply')
    const real = createSubscriptionStore({ merge, scheduler: { schedule: (flush) => queueMicrotask(flush) } })
    const listener = vi.fn()
    real.$state.listen(listener)
    for (let i = 0; i < 1000; i++)
      real.pushEvents([at('e1', i + 1, event('created', { id: `t${i}`, title: `T${i}` }))])
    expect(listener).toHaveBeenCalledTimes(0)
    await Promise.resolve()
    expect(listener).toHaveBeenCalledTimes(1)
    expect(apply).toHaveBeenCalledTimes(1)
    expect(apply.mock.calls[0]![1]).toHaveLength(0) // the store reuses its queue array after the flush
    const state = real.$state.get()
    expect(state.data.items).toHaveLength(1000)
    expect(state.position).toEqual({ epoch: 'e1', seq: 1000 })
  })

  it('schedules one flush per burst, and a new one after it ran', () => {
    const manual = manualScheduler()
    const store = createSubscriptionStore({ merge: crud<Todo>(), scheduler: manual.scheduler })
    store.pushEvents([event('created', { id: 'a', title: 'A' })])
    store.pushEvents([event('created', { id: 'b', title: 'B' })])
    store.pushEvents([])
    expect(manual.scheduled).toBe(1)
    manual.run()
    store.pushEvents([event('deleted', { id: 'a', title: 'A' })])
    expect(manual.scheduled).toBe(1)
    manual.run()
    expect(titles(store.$state.get().data.items)).toEqual(['b:B'])
  })

  it('sets position to the last event applied', () => {
    const manual = manualScheduler()
    const store = createSubscriptionStore({ merge: crud<Todo>(), scheduler: manual.scheduler })
    store.pushEvents([
      at('e1', 7, event('created', { id: 'a', title: 'A' })),
      at('e1', 9, event('updated', { id: 'a', title: 'A2' })),
    ])
    manual.run()
    expect(store.$state.get().position).toEqual({ epoch: 'e1', seq: 9 })
  })

  it('replaces data on setSnapshot and drops queued events at or before its position', () => {
    const manual = manualScheduler()
    const store = createSubscriptionStore({ merge: crud<Todo>(), scheduler: manual.scheduler })
    const listener = vi.fn()
    store.$state.listen(listener)
    store.pushEvents([
      at('e0', 3, event('created', { id: 'old', title: 'other log' })),
      at('e1', 4, event('created', { id: 'x', title: 'in snapshot' })),
      at('e1', 5, event('updated', { id: 'x', title: 'also in snapshot' })),
      at('e1', 6, event('created', { id: 'y', title: 'after' })),
    ])
    store.setSnapshot([{ id: 'x', title: 'snap' }], { epoch: 'e1', seq: 5 })
    expect(listener).toHaveBeenCalledTimes(1)
    expect(titles(store.$state.get().data.items)).toEqual(['x:snap', 'y:after'])
    expect(store.$state.get().position).toEqual({ epoch: 'e1', seq: 6 })
    manual.run()
    expect(listener).toHaveBeenCalledTimes(1)
  })

  it('keeps queued events on a snapshot without position', () => {
    const manual = manualScheduler()
    const store = createSubscriptionStore({ merge: crud<Todo>(), scheduler: manual.scheduler })
    store.pushEvents([at('e1', 2, event('created', { id: 'b', title: 'B' }))])
    store.setSnapshot([{ id: 'a', title: 'A' }], null)
    expect(titles(store.$state.get().data.items)).toEqual(['a:A', 'b:B'])
  })

  it('notifies on setStatus only when status or error change', () => {
    const store = createSubscriptionStore({ merge: crud<Todo>(), scheduler: manualScheduler().scheduler })
    const listener = vi.fn()
    store.$state.listen(listener)
    const data = store.$state.get().data
    store.setStatus('connecting')
    store.setStatus('connecting')
    store.setStatus('error', { code: 'FORBIDDEN', message: 'no' })
    store.setStatus('error', { code: 'FORBIDDEN', message: 'no' })
    store.setStatus('live')
    expect(listener.mock.calls.map(([state]) => [state.status, state.error])).toEqual([
      ['connecting', null],
      ['error', { code: 'FORBIDDEN', message: 'no' }],
      ['live', null],
    ])
    expect(store.$state.get().data).toBe(data)
  })

  it('keeps the data reference when a flush changes nothing but the position', () => {
    const manual = manualScheduler()
    const store = createSubscriptionStore({
      merge: crud<Todo>(),
      scheduler: manual.scheduler,
      initialData: list([]),
    })
    const data = store.$state.get().data
    store.pushEvents([at('e1', 1, event('deleted', { id: 'missing', title: '' }))])
    manual.run()
    expect(store.$state.get().data).toBe(data)
    expect(store.$state.get().position).toEqual({ epoch: 'e1', seq: 1 })
    const before = store.$state.get()
    store.setStatus('idle')
    expect(store.$state.get()).toBe(before)
  })

  it('shows an optimistic event at once and lets the confirmed event replace it', () => {
    const manual = manualScheduler()
    const store = createSubscriptionStore({
      merge: crud<Todo>(),
      scheduler: manual.scheduler,
      initialData: list([{ id: 'a', title: 'A' }]),
    })
    const listener = vi.fn()
    store.$state.listen(listener)
    store.optimistic({ kind: 'updated', key: 'a', data: { id: 'a', title: 'mine' } })
    expect(titles(store.$state.get().data.items)).toEqual(['a:mine'])
    expect(listener).toHaveBeenCalledTimes(1)

    store.pushEvents([at('e1', 1, event('updated', { id: 'a', title: 'server' }))])
    manual.run()
    expect(titles(store.$state.get().data.items)).toEqual(['a:server'])
    // the optimistic layer is gone: a later server update is not masked by it
    store.pushEvents([at('e1', 2, event('updated', { id: 'a', title: 'later' }))])
    manual.run()
    expect(titles(store.$state.get().data.items)).toEqual(['a:later'])
    expect(listener).toHaveBeenCalledTimes(3)
  })

  it('keeps an optimistic event on top of unrelated server events until it is confirmed', () => {
    const manual = manualScheduler()
    const store = createSubscriptionStore({
      merge: crud<Todo>(),
      scheduler: manual.scheduler,
      initialData: list([]),
    })
    store.optimistic({ kind: 'created', key: 'mine', data: { id: 'mine', title: 'draft' } })
    store.pushEvents([at('e1', 1, event('created', { id: 'other', title: 'O' }))])
    manual.run()
    expect(titles(store.$state.get().data.items)).toEqual(['other:O', 'mine:draft'])
    store.pushEvents([at('e1', 2, event('created', { id: 'mine', title: 'draft' }))])
    manual.run()
    expect(titles(store.$state.get().data.items)).toEqual(['other:O', 'mine:draft'])
    // confirmed: a later server delete removes it for good
    store.pushEvents([at('e1', 3, event('deleted', { id: 'mine', title: '' }))])
    manual.run()
    expect(titles(store.$state.get().data.items)).toEqual(['other:O'])
  })

  it('matches by publishId when the optimistic event has one', () => {
    const manual = manualScheduler()
    const store = createSubscriptionStore({
      merge: crud<Todo>(),
      scheduler: manual.scheduler,
      initialData: list([]),
    })
    store.optimistic({ kind: 'created', key: 'a', data: { id: 'a', title: 'mine' }, publishId: 'p1' })
    // someone else's write to the same key does not confirm ours
    store.pushEvents([
      at('e1', 1, event('updated', { id: 'a', title: 'theirs' }, { kind: 'created', publishId: 'p0' })),
    ])
    manual.run()
    expect(titles(store.$state.get().data.items)).toEqual(['a:mine'])
    store.pushEvents([at('e1', 2, event('created', { id: 'a', title: 'ours' }, { publishId: 'p1' }))])
    manual.run()
    expect(titles(store.$state.get().data.items)).toEqual(['a:ours'])
  })

  it('layers optimistic changes over a large list, leaving confirmed and earlier states intact', () => {
    const manual = manualScheduler()
    const todos = Array.from({ length: 5000 }, (_, i) => ({ id: `k${i}`, title: `T${i}` }))
    const store = createSubscriptionStore({
      merge: crud<Todo>(),
      scheduler: manual.scheduler,
      initialData: list(todos),
    })
    const published: Array<{ data: CrudState<Todo>; items: string[] }> = []
    store.$state.listen((state) => published.push({ data: state.data, items: titles(state.data.items) }))
    const confirmed = new Map(todos.map((todo) => [todo.id, todo]))
    const rollback = store.optimistic({ kind: 'deleted', key: 'k10' })
    store.optimistic({ kind: 'created', key: 'draft', data: { id: 'draft', title: 'mine' } })
    const visible = () => {
      const items = [...confirmed.values()].filter((todo) => todo.id !== 'k10')
      return titles(confirmed.has('draft') ? items : [...items, { id: 'draft', title: 'mine' }])
    }
    let n = 0
    for (const batch of [
      // Updates all over the list, a run of deletes that empties chunks, new items.
      Array.from({ length: 50 }, (_, i) => event('updated', { id: `k${i * 97}`, title: `u${i}` })),
      Array.from({ length: 300 }, (_, i) => event('deleted', { id: `k${1000 + i}`, title: '' })),
      Array.from({ length: 100 }, (_, i) => event('created', { id: `n${i}`, title: `N${i}` })),
    ]) {
      for (const frame of batch) {
        if (frame.kind === 'deleted') confirmed.delete(frame.key!)
        else confirmed.set(frame.key!, frame.data as unknown as Todo)
      }
      store.pushEvents(batch.map((frame) => at('e1', ++n, frame)))
      manual.run()
      expect(titles(store.$state.get().data.items)).toEqual(visible())
    }
    rollback()
    expect(store.$state.get().data.get('k10')).toEqual({ id: 'k10', title: 'T10' })
    expect(store.$state.get().data.size).toBe(confirmed.size + 1)
    expect(published).toHaveLength(6)
    for (const { data, items } of published) {
      expect(titles(data.slice())).toEqual(items)
      expect(data.has('k10')).toBe(items.includes('k10:T10'))
    }
  })

  it('rolls back an optimistic event, and rollback after confirmation is a no-op', () => {
    const manual = manualScheduler()
    const store = createSubscriptionStore({
      merge: crud<Todo>(),
      scheduler: manual.scheduler,
      initialData: list([{ id: 'a', title: 'A' }]),
    })
    const confirmedData = store.$state.get().data
    const rollback = store.optimistic({ kind: 'deleted', key: 'a' })
    expect(store.$state.get().data.items).toEqual([])
    rollback()
    expect(store.$state.get().data).toBe(confirmedData)

    const listener = vi.fn()
    store.$state.listen(listener)
    const second = store.optimistic({ kind: 'updated', key: 'a', data: { id: 'a', title: 'B' } })
    store.pushEvents([at('e1', 1, event('updated', { id: 'a', title: 'B!' }))])
    manual.run()
    listener.mockClear()
    second()
    second()
    expect(listener).toHaveBeenCalledTimes(0)
    expect(titles(store.$state.get().data.items)).toEqual(['a:B!'])
  })

  it('lets each server event confirm only the oldest matching optimistic event', () => {
    const manual = manualScheduler()
    const store = createSubscriptionStore({
      merge: custom<string[]>((state, e) => [...state, `${e.kind}:${String(e.data)}`], []),
      scheduler: manual.scheduler,
      topic: 'log',
    })
    store.optimistic({ kind: 'add', key: 'k', data: 'one' })
    store.optimistic({ kind: 'add', key: 'k', data: 'two' })
    expect(store.$state.get().data).toEqual(['add:one', 'add:two'])
    store.pushEvents([
      { type: 'event', topic: 'log', epoch: 'e1', seq: 1, kind: 'add', key: 'k', data: 'one!', ts: 1 },
    ])
    manual.run()
    expect(store.$state.get().data).toEqual(['add:one!', 'add:two'])
  })

  it('passes the topic and clock into optimistic frames', () => {
    const seen: EventFrame[] = []
    const store = createSubscriptionStore({
      merge: custom<number>((n, e) => {
        seen.push(e)
        return n + 1
      }, 0),
      scheduler: manualScheduler().scheduler,
      topic: 'room:1',
      now: () => 42,
    })
    store.optimistic({ kind: 'said', data: 'hi', meta: { by: 'me' }, publishId: 'p9' })
    expect(seen).toEqual([
      {
        type: 'event',
        topic: 'room:1',
        epoch: '',
        seq: 0,
        ts: 42,
        kind: 'said',
        data: 'hi',
        meta: { by: 'me' },
        publishId: 'p9',
      },
    ])
  })

  it('surfaces a throwing reducer as status error and keeps the last good data', () => {
    const manual = manualScheduler()
    const store = createSubscriptionStore({
      merge: custom<number>((n, e) => {
        if (e.kind === 'boom') throw new Error('bad event')
        return n + 1
      }, 0),
      scheduler: manual.scheduler,
    })
    store.pushEvents([at('e1', 1, event('tick', undefined))])
    manual.run()
    store.pushEvents([at('e1', 2, event('boom', undefined))])
    manual.run()
    expect(store.$state.get()).toEqual({
      data: 1,
      status: 'error',
      error: { code: 'INTERNAL', message: 'merge strategy threw: bad event' },
      stale: null,
      position: { epoch: 'e1', seq: 1 },
    })
  })

  it('shows confirmed state and status error when an optimistic event cannot be applied', () => {
    const store = createSubscriptionStore({
      merge: custom<number>((n, e) => {
        if (e.kind === 'boom') throw new Error('bad optimistic event')
        return n + 1
      }, 0),
      scheduler: manualScheduler().scheduler,
    })
    const rollback = store.optimistic({ kind: 'boom' })
    expect(store.$state.get()).toEqual({
      data: 0,
      status: 'error',
      error: { code: 'INTERNAL', message: 'merge strategy threw: bad optimistic event' },
      stale: null,
      position: null,
    })
    rollback()
    store.setStatus('live')
    expect(store.$state.get().status).toBe('live')
  })

  it('surfaces malformed snapshot data as status error', () => {
    const store = createSubscriptionStore({ merge: crud<Todo>(), scheduler: manualScheduler().scheduler })
    store.setSnapshot('nope', { epoch: 'e1', seq: 1 })
    expect(store.$state.get().status).toBe('error')
    expect(store.$state.get().error).toEqual({
      code: 'INTERNAL',
      message:
        'merge strategy threw: crud(): snapshot data must be an array or an object with an array "items"; received string',
    })
    expect(store.$state.get().position).toBe(null)
  })

  it('takes snapshot data as is when the merge has no fromSnapshot', () => {
    const store = createSubscriptionStore({
      merge: custom<string[]>((log, e) => [...log, e.kind], []),
      scheduler: manualScheduler().scheduler,
    })
    const data = ['from', 'loader']
    store.setSnapshot(data, { epoch: 'e1', seq: 3 })
    expect(store.$state.get().data).toBe(data)
    expect(store.$state.get().position).toEqual({ epoch: 'e1', seq: 3 })
  })

  it('names what a reducer threw when it is not an Error', () => {
    const manual = manualScheduler()
    const store = createSubscriptionStore({
      merge: custom<number>(() => {
        throw 'no such kind'
      }, 0),
      scheduler: manual.scheduler,
    })
    store.pushEvents([at('e1', 1, event('tick', undefined))])
    manual.run()
    expect(store.$state.get()).toEqual({
      data: 0,
      status: 'error',
      error: { code: 'INTERNAL', message: 'merge strategy threw: no such kind' },
      stale: null,
      position: null,
    })
  })

  it('reset forgets data, position, queue and optimistic events', () => {
    const manual = manualScheduler()
    const store = createSubscriptionStore({
      merge: crud<Todo>(),
      scheduler: manual.scheduler,
      initialData: list([]),
    })
    store.pushEvents([at('e1', 1, event('created', { id: 'a', title: 'A' }))])
    manual.run()
    store.optimistic({ kind: 'created', key: 'b', data: { id: 'b', title: 'B' } })
    store.pushEvents([at('e1', 2, event('created', { id: 'c', title: 'C' }))])
    store.reset()
    manual.run()
    expect(store.$state.get().data.items).toEqual([])
    expect(store.$state.get().position).toBe(null)
  })
})
