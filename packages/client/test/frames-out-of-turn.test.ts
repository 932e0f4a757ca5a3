/**
 * Frames that arrive at a moment the usual flows do not show, on the in-process fake server:
 * what is still in flight from a subscription flow that was replaced, an answer that lost its
 * id, a retry whose command was superseded, a command issued while the connection opens or
 * drops (from a `$connection` listener, which hears the status before the commands do). Each
 * states which frame counts and what the stores and the wire show.
 */
import type { ClientFrame } from '@sluice/protocol'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { presence } from '../src/merge/presence'
import { dataChanges, event, flow, resync, snapshot, statuses, subscribed } from './flows'
import { advance, seqLog, setup, useFakeTime } from './helpers'

beforeEach(useFakeTime)
afterEach(() => {
  vi.useRealTimers()
})

const ofType = (frames: ClientFrame[], type: ClientFrame['type']) => frames.filter((f) => f.type === type)

describe('frames of a flow that was replaced', () => {
  test('while client.resync subscribes from the head, the old flow’s resync and snapshot are dropped', async () => {
    const onResync = vi.fn()
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog(), onResync })
    await advance(0)
    server.last.send(flow.live('todos', 0, [event('todos', 1)]))
    await advance(0)
    const changes = dataChanges(sub.$state)
    client.resync('todos')
    await advance(0)
    // Still in flight from the subscription being replaced: neither is about the new one.
    server.last.send([resync('todos', 'epoch_changed', 5, 'e2'), snapshot('todos', 5, ['old'], 'e2')])
    await advance(0)
    expect(onResync).not.toHaveBeenCalled()
    expect(sub.$state.get()).toMatchObject({ data: ['e1:1'], status: 'resyncing', stale: null })
    server.last.send(flow.snapshot('todos', 7, ['fresh'], 'e2'))
    await advance(0)
    expect(changes).toEqual([['fresh']])
    expect(sub.$state.get()).toEqual({
      data: ['fresh'],
      status: 'live',
      error: null,
      stale: null,
      position: { epoch: 'e2', seq: 7 },
    })
    client.close()
  })

  test('a presence change arriving while the topic is subscribed again from the head still reaches the presence store', async () => {
    const { server, client } = setup()
    const events = client.subscribe('room', { merge: seqLog() })
    const members = client.subscribe('room', { merge: presence(), presence: true })
    await advance(0)
    const ann = { connectionId: 'c1', identity: 'ann' }
    const bob = { connectionId: 'c2', identity: 'bob' }
    server.last.send([
      subscribed('room', 0),
      { type: 'presence', topic: 'room', action: 'sync', members: [ann] },
    ])
    await advance(0)
    // An event of an epoch nothing announced: the position is forgotten and the topic subscribed
    // again from the head. Presence is not part of the log: bob's join still counts.
    server.last.send([
      event('room', 1, 'e2'),
      { type: 'presence', topic: 'room', action: 'join', member: bob },
    ])
    await advance(0)
    expect(ofType(server.last.frames, 'subscribe')).toEqual([
      { type: 'subscribe', id: expect.any(String), topic: 'room', presence: true },
      { type: 'subscribe', id: expect.any(String), topic: 'room', presence: true },
    ])
    expect(events.$state.get()).toMatchObject({ data: [], status: 'resyncing', stale: 'epoch_changed' })
    expect(members.$state.get()).toMatchObject({ data: { items: [ann, bob] } })
    client.close()
  })
})

describe('answers without their id', () => {
  test('an unsubscribed with neither id nor reason ends nothing: the subscription stays live', async () => {
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    server.last.send(flow.live('todos', 0))
    await advance(0)
    // Only a reason says the server ended the subscription; without one it answers an unsubscribe.
    server.last.send({ type: 'unsubscribed', topic: 'todos' })
    server.last.send(event('todos', 1))
    await advance(0)
    expect(sub.$state.get()).toMatchObject({ data: ['e1:1'], status: 'live', error: null })
    expect(server.last.frames).toHaveLength(1)
    client.close()
  })
})

describe('a subscribe replaced before its flow completed', () => {
  test('the snapshot of the replaced flow fills the stores, which stay connecting until the new flow is live', async () => {
    const { server, client } = setup()
    const created = { field: 'kind', equals: 'created' } as const
    const all = client.subscribe('todos', { merge: seqLog(), snapshot: true, filter: created })
    await advance(0)
    server.last.send(subscribed('todos', 4, 'e1', undefined, { snapshot: true }))
    await advance(0)
    const seen = statuses(all.$state)
    // Another store with a filter: the server subscription changes before the snapshot came.
    client.subscribe('todos', { merge: seqLog(), filter: { field: 'kind', equals: 'updated' } })
    await advance(0)
    expect(ofType(server.last.frames, 'subscribe')).toEqual([
      { type: 'subscribe', id: expect.any(String), topic: 'todos', filter: created, snapshot: 'always' },
      {
        type: 'subscribe',
        id: expect.any(String),
        topic: 'todos',
        filter: { or: [created, { field: 'kind', equals: 'updated' }] },
        snapshot: 'always',
      },
    ])
    server.last.send(snapshot('todos', 4, ['s4']))
    await advance(0)
    expect(all.$state.get()).toMatchObject({
      data: ['s4'],
      status: 'connecting',
      position: { epoch: 'e1', seq: 4 },
    })
    // The provider has nothing more to give this time (flow 1): live from the snapshot's head.
    server.last.send(flow.live('todos', 4, [event('todos', 5, 'e1', { meta: { kind: 'created' } })]))
    await advance(0)
    expect(all.$state.get()).toMatchObject({
      data: ['s4', 'e1:5'],
      status: 'live',
      position: { epoch: 'e1', seq: 5 },
    })
    expect(seen).toEqual(['connecting', 'live'])
    client.close()
  })

  test('a rate-limited subscribe replaced meanwhile is not sent again: the newer one stands', async () => {
    const { server, client } = setup()
    const created = { field: 'kind', equals: 'created' } as const
    const updated = { field: 'kind', equals: 'updated' } as const
    client.subscribe('todos', { merge: seqLog(), filter: created })
    await advance(0)
    const first = ofType(server.last.frames, 'subscribe')[0] as { id: string }
    server.last.send({
      type: 'error',
      id: first.id,
      code: 'RATE_LIMITED',
      message: 'slow down',
      retryAfterMs: 1000,
    })
    await advance(0)
    client.subscribe('todos', { merge: seqLog(), filter: updated })
    await advance(1000)
    expect(ofType(server.last.frames, 'subscribe')).toEqual([
      { type: 'subscribe', id: first.id, topic: 'todos', filter: created },
      { type: 'subscribe', id: expect.any(String), topic: 'todos', filter: { or: [created, updated] } },
    ])
    client.close()
  })
})

describe('commands issued from a $connection listener', () => {
  test('a publish from a $connection listener that hears open is sent once', async () => {
    const { server, client } = setup({ lazy: true })
    let result: Promise<unknown> | undefined
    client.$connection.listen(({ status }) => {
      if (status === 'open' && !result) result = client.publish('todos', { kind: 'created' }, { id: 'p1' })
    })
    client.connect()
    await advance(0)
    expect(server.last.frames).toEqual([{ type: 'publish', id: 'p1', topic: 'todos', kind: 'created' }])
    server.last.send({ type: 'ack', id: 'p1', topic: 'todos', epoch: 'e1', seq: 1 })
    await expect(result).resolves.toEqual({ epoch: 'e1', seq: 1, duplicate: false })
    client.close()
  })

  test('a call made as the connection drops was never on the wire: it waits and is sent on the next connection', async () => {
    const { server, client } = setup()
    await advance(0)
    let result: Promise<unknown> | undefined
    client.$connection.listen(({ status }) => {
      if (status === 'reconnecting' && !result) result = client.call('sum', { a: 1, b: 2 })
    })
    const first = server.last
    first.close(1006)
    await advance(0)
    expect(first.frames).toEqual([])
    await advance(250)
    const second = server.last
    expect(second).not.toBe(first)
    expect(second.frames).toEqual([
      { type: 'call', id: expect.any(String), name: 'sum', args: { a: 1, b: 2 } },
    ])
    second.send({ type: 'result', id: (second.frames[0] as { id: string }).id, result: 3 })
    await expect(result).resolves.toBe(3)
    client.close()
  })
})
