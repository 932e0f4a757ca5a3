import { describe, expect, test } from 'vitest'
import { event, events, subscribed } from './frames'
import { advance, dataChanges, seqLog, useMockNetwork } from './setup'

const net = useMockNetwork()

describe('dedup of events already applied', () => {
  test('a replay overlapping what was applied before the drop is applied once', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const client = net.client()
    await advance(0)
    const todos = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    sluice.last.send([subscribed('todos', 10), ...events('todos', 11, 13)])
    await advance(0)
    sluice.last.close(1006)
    await advance(250)
    expect(sluice.last.frames[0]).toMatchObject({ from: { epoch: 'e1', seq: 13 } })

    const data = dataChanges(todos.$state)
    // A server that replays from further back than asked: 11..13 were applied already.
    sluice.last.send([subscribed('todos', 15), ...events('todos', 11, 15)])
    await advance(0)
    expect(todos.$state.get().data).toEqual(['e1:11', 'e1:12', 'e1:13', 'e1:14', 'e1:15'])
    expect(data).toEqual([['e1:11', 'e1:12', 'e1:13', 'e1:14', 'e1:15']])
  })

  test('repeats and stale events on an open connection are dropped, in one message or across messages', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const client = net.client()
    await advance(0)
    const todos = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    sluice.last.send([subscribed('todos', 0), event('todos', 1), event('todos', 2), event('todos', 2)])
    sluice.last.send([event('todos', 1), event('todos', 3), event('todos', 3), event('todos', 2)])
    await advance(0)
    expect(todos.$state.get()).toMatchObject({
      data: ['e1:1', 'e1:2', 'e1:3'],
      position: { epoch: 'e1', seq: 3 },
    })
  })

  test('seq gaps are not losses: a filtered stream applies 2, 5, 9 and drops a later 5', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const client = net.client()
    await advance(0)
    const todos = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    sluice.last.send([subscribed('todos', 1), event('todos', 2), event('todos', 5), event('todos', 9)])
    sluice.last.send(event('todos', 5))
    await advance(0)
    expect(todos.$state.get().data).toEqual(['e1:2', 'e1:5', 'e1:9'])
  })

  test('events seen on SSE and replayed again on the WebSocket it moves to are applied once', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    sluice.answer('ws', 'refuse')
    const client = net.client({ probeIntervalMs: 5000 })
    await advance(0)
    const todos = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    const sse = sluice.last
    sse.send([subscribed('todos', 0), ...events('todos', 1, 3)])
    await advance(0)

    sluice.answer('ws', 'welcome')
    await advance(5000)
    const socket = sluice.last
    expect(socket.kind).toBe('ws')
    expect(client.$connection.get().transport).toBe('ws')
    expect(socket.frames).toEqual([
      { type: 'subscribe', id: expect.any(String), topic: 'todos', from: { epoch: 'e1', seq: 3 } },
    ])
    socket.send([subscribed('todos', 5), ...events('todos', 2, 5)])
    await advance(0)
    expect(todos.$state.get().data).toEqual(['e1:1', 'e1:2', 'e1:3', 'e1:4', 'e1:5'])
  })
})
