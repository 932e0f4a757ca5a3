import { crud } from '@sluice/client'
import type { Json } from '@sluice/protocol'
import { describe, expect, test, vi } from 'vitest'
import { event, events, resync, snapshot, subscribed } from './frames'
import type { MockSluice } from './mock-sluice'
import { advance, dataChanges, seqLog, statuses, useMockNetwork } from './setup'

const net = useMockNetwork()

type Todo = { id: string; title: string }
const todo = (seq: number, id: string) =>
  event('todos', seq, 'e1', { key: id, data: { id, title: id.toUpperCase() } })

/** Drops the open connection and waits for the reconnect (random 0.5: 250 ms). */
async function reconnect(sluice: MockSluice) {
  sluice.last.close(1006)
  await advance(250)
  return sluice.last
}

describe('resync', () => {
  test('too_old with a server snapshot: the store is replaced, onResync hears the reason, then live', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const client = net.client()
    await advance(0)
    const onResync = vi.fn()
    const todos = client.subscribe('todos', { merge: crud<Todo>(), snapshot: true, onResync })
    const seen = statuses(todos.$state)
    await advance(0)
    expect(sluice.last.frames).toEqual([
      { type: 'subscribe', id: expect.any(String), topic: 'todos', snapshot: 'always' },
    ])
    sluice.last.send([
      subscribed('todos', 5, 'e1', undefined, { snapshot: true }),
      snapshot('todos', 5, [{ id: 'a', title: 'A' }]),
      todo(6, 'b'),
    ])
    await advance(0)
    expect(todos.$state.get().data.items).toEqual([
      { id: 'a', title: 'A' },
      { id: 'b', title: 'B' },
    ])

    const second = await reconnect(sluice)
    expect(second.frames).toEqual([
      {
        type: 'subscribe',
        id: expect.any(String),
        topic: 'todos',
        from: { epoch: 'e1', seq: 6 },
        snapshot: 'resync',
      },
    ])
    const { id } = second.frames[0] as { id: string }
    const changes = dataChanges(todos.$state)
    // The frames of a real server's answer, one message each.
    second.send(subscribed('todos', 900, 'e1', id, { resync: 'too_old', snapshot: true }))
    second.send(resync('todos', 'too_old', 900))
    second.send(snapshot('todos', 900, [{ id: 'x', title: 'X' }]))
    second.send(todo(901, 'y'))
    await advance(0)

    expect(onResync.mock.calls).toEqual([['too_old']])
    expect(todos.$state.get()).toEqual({
      data: expect.objectContaining({
        items: [
          { id: 'x', title: 'X' },
          { id: 'y', title: 'Y' },
        ],
      }),
      status: 'live',
      error: null,
      stale: null,
      position: { epoch: 'e1', seq: 901 },
    })
    // Replaced, not merged: a and b are gone; the snapshot and the next event landed separately.
    expect(changes.map((data) => data.items.map((item) => item.id))).toEqual([['x'], ['x', 'y']])
    // No `live` between `subscribed` and `resync`, though each came in its own message: the
    // `subscribed` announced the resync and the snapshot.
    expect(seen).toEqual(['connecting', 'live', 'connecting', 'resyncing', 'live'])

    const third = await reconnect(sluice)
    expect(third.frames[0]).toMatchObject({ from: { epoch: 'e1', seq: 901 }, snapshot: 'resync' })
  })

  test.each(['epoch_changed', 'ahead'] as const)(
    '%s with a snapshot: the next resume starts from the snapshot of the new log',
    async (reason) => {
      const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
      const client = net.client()
      await advance(0)
      const onResync = vi.fn()
      const log = client.subscribe('log', { merge: seqLog(), snapshot: true, onResync })
      await advance(0)
      sluice.last.send([
        subscribed('log', 10, 'e1', undefined, { snapshot: true }),
        snapshot('log', 10, 'first'),
        ...events('log', 11, 12),
      ])
      await advance(0)
      const second = await reconnect(sluice)
      second.send([
        subscribed('log', 4, 'e2', undefined, { resync: reason, snapshot: true }),
        resync('log', reason, 4, 'e2'),
        snapshot('log', 4, 'second', 'e2'),
      ])
      // Seq 3 and 4 of the new epoch are in the snapshot already; 5 is new.
      second.send(events('log', 3, 5, 'e2'))
      await advance(0)
      expect(onResync.mock.calls).toEqual([[reason]])
      expect(log.$state.get()).toEqual({
        data: ['snapshot:"second"', 'e2:5'],
        status: 'live',
        error: null,
        stale: null,
        position: { epoch: 'e2', seq: 5 },
      })
      const third = await reconnect(sluice)
      expect(third.frames[0]).toMatchObject({ from: { epoch: 'e2', seq: 5 } })
    },
  )

  test('without a snapshot the store keeps its data, flagged stale, and follows the new epoch', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const client = net.client()
    await advance(0)
    const onResync = vi.fn()
    const log = client.subscribe('log', { merge: seqLog(), onResync })
    const seen = statuses(log.$state)
    await advance(0)
    sluice.last.send([subscribed('log', 10), ...events('log', 11, 13)])
    await advance(0)
    const second = await reconnect(sluice)
    expect(second.frames).toEqual([
      { type: 'subscribe', id: expect.any(String), topic: 'log', from: { epoch: 'e1', seq: 13 } },
    ])
    second.send([
      subscribed('log', 3, 'e2', undefined, { resync: 'epoch_changed' }),
      resync('log', 'epoch_changed', 3, 'e2'),
    ])
    // Lower seqs than the old epoch's, but a new log: applied, not deduped.
    second.send(events('log', 4, 5, 'e2'))
    await advance(0)
    expect(onResync.mock.calls).toEqual([['epoch_changed']])
    expect(log.$state.get()).toEqual({
      data: ['e1:11', 'e1:12', 'e1:13', 'e2:4', 'e2:5'],
      status: 'live',
      error: null,
      stale: 'epoch_changed',
      position: { epoch: 'e2', seq: 5 },
    })
    expect(seen).toEqual(['connecting', 'live', 'connecting', 'resyncing', 'live'])
  })

  test('with load(): the loader refills the store; events arriving meanwhile are applied on top', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const client = net.client()
    await advance(0)
    const loads: Array<(data: Json) => void> = []
    const load = vi.fn(() => new Promise<Json>((resolve) => loads.push(resolve)))
    const log = client.subscribe('log', { merge: seqLog(), load })
    await advance(0)
    sluice.last.send(subscribed('log', 10))
    await advance(0)
    expect(load).toHaveBeenCalledTimes(1)
    loads[0]?.('initial')
    sluice.last.send(events('log', 11, 11))
    await advance(0)
    expect(log.$state.get()).toMatchObject({ data: ['snapshot:"initial"', 'e1:11'], status: 'live' })

    const second = await reconnect(sluice)
    second.send([
      subscribed('log', 500, 'e1', undefined, { resync: 'too_old' }),
      resync('log', 'too_old', 500),
    ])
    await advance(0)
    expect(load).toHaveBeenCalledTimes(2)
    expect(log.$state.get().status).toBe('resyncing')
    second.send(events('log', 501, 502))
    await advance(0)
    expect(log.$state.get().data).toEqual(['snapshot:"initial"', 'e1:11'])
    loads[1]?.('reloaded')
    await advance(0)
    expect(log.$state.get()).toEqual({
      data: ['snapshot:"reloaded"', 'e1:501', 'e1:502'],
      status: 'live',
      error: null,
      stale: null,
      position: { epoch: 'e1', seq: 502 },
    })
  })
})
