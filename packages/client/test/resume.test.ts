/**
 * Resume, dedup and resync across lost connections and transport switches, on the in-process
 * fake server: what a store shows and what the client asks the server for, frame by frame.
 * (Ported from the msw tests, which covered the same behaviour on a second fake server.)
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { crud } from '../src/merge/crud'
import type { FakeServer } from './fake-server'
import { dataChanges, event, events, flow, statuses } from './flows'
import { advance, seqLog, setup, useFakeTime } from './helpers'

beforeEach(useFakeTime)
afterEach(() => {
  vi.useRealTimers()
})

// Heartbeats far apart: the fake clock moves, the connections must not die of silence.
const quiet = { welcome: { heartbeatMs: 1_000_000 } }

/** Drops the open connection and waits for the reconnect (random 0.5: after 250 ms). */
async function reconnect(server: FakeServer) {
  const lost = server.last
  lost.close(1006)
  await advance(250)
  expect(server.last).not.toBe(lost)
  return server.last
}

const subscribe = (topic: string, extra: Record<string, unknown> = {}) => ({
  type: 'subscribe',
  id: expect.any(String),
  topic,
  ...extra,
})

describe('resume after a lost connection', () => {
  test('subscribes again from the last applied event, with a new id, and continues the log', async () => {
    const { server, client } = setup({}, quiet)
    const todos = client.subscribe('todos', { merge: seqLog() })
    const seen = statuses(todos.$state)
    await advance(0)
    const first = server.last
    expect(first.frames).toEqual([subscribe('todos')])
    first.send(flow.live('todos', 10, events('todos', 11, 13)))
    await advance(0)
    first.close(1006)
    await advance(0)
    expect(todos.$state.get()).toMatchObject({ status: 'connecting', position: { epoch: 'e1', seq: 13 } })
    const second = await reconnect(server)
    expect(second.frames).toEqual([subscribe('todos', { from: { epoch: 'e1', seq: 13 } })])
    // Answers on this connection cannot be taken for answers to the old one.
    expect((second.frames[0] as { id: string }).id).not.toBe((first.frames[0] as { id: string }).id)
    second.send(flow.live('todos', 15, events('todos', 14, 15)))
    await advance(0)
    expect(todos.$state.get()).toEqual({
      data: ['e1:11', 'e1:12', 'e1:13', 'e1:14', 'e1:15'],
      status: 'live',
      error: null,
      stale: null,
      position: { epoch: 'e1', seq: 15 },
    })
    expect(seen).toEqual(['connecting', 'live', 'connecting', 'live'])
    client.close()
  })

  test('every topic resumes from its own position, in one message; a topic without events from its subscribed head', async () => {
    const { server, client } = setup({}, quiet)
    client.subscribe('a', { merge: seqLog() })
    client.subscribe('b', { merge: seqLog() })
    await advance(0)
    server.last.send([...flow.live('a', 3, events('a', 4, 7)), ...flow.live('b', 42, [], 'eb')])
    await advance(0)
    const second = await reconnect(server)
    expect(second.messages).toHaveLength(1)
    expect(second.frames).toEqual([
      subscribe('a', { from: { epoch: 'e1', seq: 7 } }),
      subscribe('b', { from: { epoch: 'eb', seq: 42 } }),
    ])
    client.close()
  })

  test('keeps the filter, and asks for a snapshot only on resync once one was taken', async () => {
    const { server, client } = setup({}, quiet)
    const filter = { field: 'region', equals: 'eu' }
    const todos = client.subscribe('todos', { merge: seqLog(), filter, snapshot: true })
    await advance(0)
    expect(server.last.frames).toEqual([subscribe('todos', { filter, snapshot: 'always' })])
    server.last.send([
      ...flow.snapshot('todos', 10, ['a']),
      ...events('todos', 11, 12).map((e) => ({ ...e, meta: { region: 'eu' } })),
    ])
    await advance(0)
    expect(todos.$state.get().data).toEqual(['a', 'e1:11', 'e1:12'])
    const second = await reconnect(server)
    expect(second.frames).toEqual([
      subscribe('todos', { filter, from: { epoch: 'e1', seq: 12 }, snapshot: 'resync' }),
    ])
    client.close()
  })

  test('resumes across transports: the WebSocket lost and then refused, SSE carries the from', async () => {
    const { server, client } = setup({}, quiet)
    const todos = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    server.last.send(flow.live('todos', 0, events('todos', 1, 2)))
    await advance(0)
    server.refuse('ws', 'close')
    const sse = await reconnect(server)
    expect(sse.kind).toBe('sse')
    expect(sse.frames).toEqual([subscribe('todos', { from: { epoch: 'e1', seq: 2 } })])
    sse.send(flow.live('todos', 3, events('todos', 3, 3)))
    await advance(0)
    expect(todos.$state.get()).toMatchObject({
      data: ['e1:1', 'e1:2', 'e1:3'],
      status: 'live',
      position: { epoch: 'e1', seq: 3 },
    })
    client.close()
  })
})

describe('dedup of events already applied', () => {
  test('a replay from further back than asked is applied once, in one notification', async () => {
    const { server, client } = setup({}, quiet)
    const todos = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    server.last.send(flow.live('todos', 10, events('todos', 11, 13)))
    await advance(0)
    const second = await reconnect(server)
    const data = dataChanges(todos.$state)
    second.send(flow.live('todos', 15, events('todos', 11, 15)))
    await advance(0)
    expect(data).toEqual([['e1:11', 'e1:12', 'e1:13', 'e1:14', 'e1:15']])
    client.close()
  })

  test('repeats and older events on an open connection are dropped, in one message or across messages', async () => {
    const { server, client } = setup({}, quiet)
    const todos = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    server.last.send([...flow.live('todos', 0), event('todos', 1), event('todos', 2), event('todos', 2)])
    server.last.send([event('todos', 1), event('todos', 3), event('todos', 3), event('todos', 2)])
    await advance(0)
    expect(todos.$state.get()).toMatchObject({
      data: ['e1:1', 'e1:2', 'e1:3'],
      position: { epoch: 'e1', seq: 3 },
    })
    client.close()
  })

  test('events seen on SSE and replayed on the WebSocket it moves to are applied once', async () => {
    const { server, client } = setup({ probeIntervalMs: 5000 }, quiet)
    server.refuse('ws', 'close')
    const todos = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    const sse = server.last
    expect(sse.kind).toBe('sse')
    sse.send(flow.live('todos', 0, events('todos', 1, 3)))
    await advance(0)
    server.refuse('ws', false)
    await advance(5000)
    const socket = server.last
    expect(socket.kind).toBe('ws')
    expect(client.$connection.get().transport).toBe('ws')
    expect(socket.frames).toEqual([subscribe('todos', { from: { epoch: 'e1', seq: 3 } })])
    socket.send(flow.live('todos', 5, events('todos', 2, 5)))
    await advance(0)
    expect(todos.$state.get().data).toEqual(['e1:1', 'e1:2', 'e1:3', 'e1:4', 'e1:5'])
    client.close()
  })
})

describe('resync', () => {
  type Todo = { id: string; title: string }
  const todo = (seq: number, id: string) =>
    event('todos', seq, 'e1', { key: id, data: { id, title: id.toUpperCase() } })

  test('too_old with a server snapshot: the store is replaced, not merged; onResync hears why; the next resume starts from it', async () => {
    const { server, client } = setup({}, quiet)
    const onResync = vi.fn()
    const todos = client.subscribe('todos', { merge: crud<Todo>(), snapshot: true, onResync })
    const seen = statuses(todos.$state)
    await advance(0)
    server.last.send([...flow.snapshot('todos', 5, [{ id: 'a', title: 'A' }]), todo(6, 'b')])
    await advance(0)
    expect(todos.$state.get().data.items.map((item) => item.id)).toEqual(['a', 'b'])
    const second = await reconnect(server)
    expect(second.frames).toEqual([subscribe('todos', { from: { epoch: 'e1', seq: 6 }, snapshot: 'resync' })])
    const changes = dataChanges(todos.$state)
    // The frames of the flow, one message each: `subscribed` announced what follows.
    for (const frame of flow.resync('todos', 'too_old', 900, 'e1', [{ id: 'x', title: 'X' }]))
      second.send(frame)
    second.send(todo(901, 'y'))
    await advance(0)
    expect(onResync.mock.calls).toEqual([['too_old']])
    expect(changes.map((data) => data.items.map((item) => item.id))).toEqual([['x'], ['x', 'y']])
    expect(todos.$state.get()).toMatchObject({
      status: 'live',
      error: null,
      stale: null,
      position: { epoch: 'e1', seq: 901 },
    })
    // No `live` between `subscribed` and its resync, though each came alone.
    expect(seen).toEqual(['connecting', 'live', 'connecting', 'resyncing', 'live'])
    const third = await reconnect(server)
    expect(third.frames).toEqual([
      subscribe('todos', { from: { epoch: 'e1', seq: 901 }, snapshot: 'resync' }),
    ])
    client.close()
  })

  test.each(['epoch_changed', 'ahead'] as const)(
    '%s with a snapshot: the next resume starts from the new log',
    async (reason) => {
      const { server, client } = setup({}, quiet)
      const onResync = vi.fn()
      const log = client.subscribe('log', { merge: seqLog(), snapshot: true, onResync })
      await advance(0)
      server.last.send([...flow.snapshot('log', 10, ['first']), ...events('log', 11, 12)])
      await advance(0)
      const second = await reconnect(server)
      second.send(flow.resync('log', reason, 4, 'e2', ['second']))
      // Seq 3 and 4 of the new log are in the snapshot already; 5 is new.
      second.send(events('log', 3, 5, 'e2'))
      await advance(0)
      expect(onResync.mock.calls).toEqual([[reason]])
      expect(log.$state.get()).toEqual({
        data: ['second', 'e2:5'],
        status: 'live',
        error: null,
        stale: null,
        position: { epoch: 'e2', seq: 5 },
      })
      const third = await reconnect(server)
      expect(third.frames).toEqual([subscribe('log', { from: { epoch: 'e2', seq: 5 }, snapshot: 'resync' })])
      client.close()
    },
  )

  test('without a snapshot the store keeps its data, stale, and follows the new log from its lower seqs', async () => {
    const { server, client } = setup({}, quiet)
    const log = client.subscribe('log', { merge: seqLog() })
    const seen = statuses(log.$state)
    await advance(0)
    server.last.send(flow.live('log', 10, events('log', 11, 13)))
    await advance(0)
    const second = await reconnect(server)
    second.send(flow.resync('log', 'epoch_changed', 3, 'e2'))
    // Lower seqs than the old log's, but a new log: applied, not taken for repeats.
    second.send(events('log', 4, 5, 'e2'))
    await advance(0)
    expect(log.$state.get()).toEqual({
      data: ['e1:11', 'e1:12', 'e1:13', 'e2:4', 'e2:5'],
      status: 'live',
      error: null,
      stale: 'epoch_changed',
      position: { epoch: 'e2', seq: 5 },
    })
    expect(seen).toEqual(['connecting', 'live', 'connecting', 'resyncing', 'live'])
    client.close()
  })
})
