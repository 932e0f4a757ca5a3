import { describe, expect, test } from 'vitest'
import { events, snapshot, subscribed } from './frames'
import { advance, seqLog, statuses, useMockNetwork } from './setup'

const net = useMockNetwork()

describe('resume after a lost connection', () => {
  test('re-subscribes with from = the last applied event, then continues the log', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const client = net.client()
    await advance(0)
    const todos = client.subscribe('todos', { merge: seqLog() })
    const seen = statuses(todos.$state)
    await advance(0)
    const first = sluice.last
    expect(first.frames).toEqual([{ type: 'subscribe', id: expect.any(String), topic: 'todos' }])
    first.send([subscribed('todos', 10), ...events('todos', 11, 13)])
    await advance(0)

    first.close(1006)
    await advance(0)
    expect(todos.$state.get()).toMatchObject({ status: 'connecting', position: { epoch: 'e1', seq: 13 } })
    await advance(250)
    const second = sluice.last
    expect(second).not.toBe(first)
    expect(second.frames).toEqual([
      { type: 'subscribe', id: expect.any(String), topic: 'todos', from: { epoch: 'e1', seq: 13 } },
    ])
    // A new command id: the server's answers on this connection must not be confused with old ones.
    expect((second.frames[0] as { id: string }).id).not.toBe((first.frames[0] as { id: string }).id)

    second.send([subscribed('todos', 15), ...events('todos', 14, 15)])
    await advance(0)
    expect(todos.$state.get()).toEqual({
      data: ['e1:11', 'e1:12', 'e1:13', 'e1:14', 'e1:15'],
      status: 'live',
      error: null,
      stale: null,
      position: { epoch: 'e1', seq: 15 },
    })
    expect(seen).toEqual(['connecting', 'live', 'connecting', 'live'])
  })

  test('every topic resumes from its own position in one message; a topic without events from its subscribed head', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const client = net.client()
    await advance(0)
    client.subscribe('a', { merge: seqLog() })
    client.subscribe('b', { merge: seqLog() })
    await advance(0)
    sluice.last.send([subscribed('a', 3), ...events('a', 4, 7), subscribed('b', 42, 'eb')])
    await advance(0)
    sluice.last.close(1006)
    await advance(250)
    expect(sluice.last.messages).toHaveLength(1)
    expect(sluice.last.frames).toEqual([
      { type: 'subscribe', id: expect.any(String), topic: 'a', from: { epoch: 'e1', seq: 7 } },
      { type: 'subscribe', id: expect.any(String), topic: 'b', from: { epoch: 'eb', seq: 42 } },
    ])
  })

  test('keeps the filter and asks for a snapshot only on resync after one was taken', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const client = net.client()
    await advance(0)
    const filter = { field: 'region', equals: 'eu' }
    const todos = client.subscribe('todos', { merge: seqLog(), filter, snapshot: true })
    await advance(0)
    expect(sluice.last.frames).toEqual([
      { type: 'subscribe', id: expect.any(String), topic: 'todos', filter, snapshot: 'always' },
    ])
    sluice.last.send([
      subscribed('todos', 10),
      snapshot('todos', 10, ['a']),
      ...events('todos', 11, 12).map((e) => ({ ...e, meta: { region: 'eu' } })),
    ])
    await advance(0)
    expect(todos.$state.get().data).toEqual(['snapshot:["a"]', 'e1:11', 'e1:12'])
    sluice.last.close(1006)
    await advance(250)
    expect(sluice.last.frames).toEqual([
      {
        type: 'subscribe',
        id: expect.any(String),
        topic: 'todos',
        filter,
        from: { epoch: 'e1', seq: 12 },
        snapshot: 'resync',
      },
    ])
  })

  test('resumes across transports: WebSocket lost, WebSocket refused, SSE carries the from', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const client = net.client()
    await advance(0)
    const todos = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    sluice.last.send([subscribed('todos', 0), ...events('todos', 1, 2)])
    await advance(0)
    sluice.answer('ws', 'refuse')
    sluice.last.close(1006)
    await advance(250)
    const sse = sluice.last
    expect(sse.kind).toBe('sse')
    expect(sse.frames).toEqual([
      { type: 'subscribe', id: expect.any(String), topic: 'todos', from: { epoch: 'e1', seq: 2 } },
    ])
    sse.send([subscribed('todos', 3), ...events('todos', 3, 3)])
    await advance(0)
    expect(todos.$state.get()).toMatchObject({
      data: ['e1:1', 'e1:2', 'e1:3'],
      status: 'live',
      position: { epoch: 'e1', seq: 3 },
    })
  })
})
