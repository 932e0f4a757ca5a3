/**
 * Subscriptions and their stores, on the in-process fake server (test/fake-server.ts): the
 * subscribe flows, shared stores and combined filters, late joiners, resync with snapshots and
 * loaders, presence, and answers the client does not take at face value. Resume, dedup and
 * resync across connections and transports in depth: resume.test.ts; frames at unusual moments:
 * frames-out-of-turn.test.ts.
 */
import type { EventFrame, SubscribeFrame } from '@sluice/protocol'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { ClientError } from '../src/client-error'
import { crud } from '../src/merge/crud'
import { custom } from '../src/merge/custom'
import { latest } from '../src/merge/latest'
import { presence } from '../src/merge/presence'
import { advance, event, seqLog, setup, useFakeTime } from './helpers'

beforeEach(useFakeTime)
afterEach(() => {
  vi.useRealTimers()
})

const subscribed = (topic: string, seq: number, epoch = 'e1', snapshot?: true) => ({
  type: 'subscribed' as const,
  topic,
  epoch,
  seq,
  ...(snapshot ? { snapshot } : {}),
})

describe('subscribe', () => {
  test('first subscribe with snapshot: true asks for it and applies it before the events after it', async () => {
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog(), snapshot: true })
    expect(sub.$state.get().status).toBe('connecting')
    await advance(0)
    expect(server.last.frames).toEqual([
      { type: 'subscribe', id: expect.any(String), topic: 'todos', snapshot: 'always' },
    ])
    server.last.send([
      subscribed('todos', 7, 'e1', true),
      { type: 'snapshot', topic: 'todos', epoch: 'e1', seq: 7, data: ['s1', 's2'] },
      event('todos', 7),
      event('todos', 8),
    ])
    await advance(0)
    expect(sub.$state.get()).toEqual({
      data: ['s1', 's2', 'e1:8'],
      status: 'live',
      error: null,
      stale: null,
      position: { epoch: 'e1', seq: 8 },
    })
    client.close()
  })

  test('a snapshot notifies once: its data and live together', async () => {
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog(), snapshot: true })
    await advance(0)
    const seen: Array<[string[], string]> = []
    sub.$state.listen((state) => seen.push([state.data as string[], state.status]))
    server.last.send([
      subscribed('todos', 7, 'e1', true),
      { type: 'snapshot', topic: 'todos', epoch: 'e1', seq: 7, data: ['s1'] },
    ])
    await advance(0)
    expect(seen).toEqual([[['s1'], 'live']])
    client.close()
  })

  test('a load() result notifies once: its data and live together', async () => {
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog(), load: async () => ['l1'] })
    await advance(0)
    const seen: Array<[string[], string]> = []
    sub.$state.listen((state) => seen.push([state.data as string[], state.status]))
    server.last.send(subscribed('todos', 7))
    await advance(0)
    expect(seen).toEqual([
      [[], 'resyncing'],
      [['l1'], 'live'],
    ])
    client.close()
  })

  test('an unusable frame in a batch is dropped alone and warned about in development', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    const bad = { ...event('todos', 2), seq: '2' }
    const unknown = { type: 'hello', topic: 'todos' }
    server.last.send([subscribed('todos', 0), event('todos', 1), bad, unknown, event('todos', 3)] as never)
    await advance(0)
    expect(sub.$state.get()).toMatchObject({ data: ['e1:1', 'e1:3'], status: 'live', error: null })
    expect(warn.mock.calls).toEqual([
      ['[sluice] dropped a server frame the client cannot use:', bad],
      ['[sluice] dropped a server frame the client cannot use:', unknown],
    ])
    expect(client.$connection.get().status).toBe('open')
    warn.mockRestore()
    client.close()
  })

  test('a subscribe refused with FORBIDDEN puts the store in error with the code', async () => {
    const { server, client } = setup()
    const sub = client.subscribe('secret', { merge: seqLog() })
    await advance(0)
    const id = (server.last.frames[0] as SubscribeFrame).id
    server.last.send({ type: 'error', id, code: 'FORBIDDEN', message: 'not allowed', topic: 'secret' })
    await advance(0)
    expect(sub.$state.get()).toMatchObject({
      status: 'error',
      error: { code: 'FORBIDDEN', message: 'not allowed' },
    })
    client.close()
  })

  test.each(['RATE_LIMITED', 'UNAVAILABLE'] as const)(
    'a subscribe answered %s stays connecting and is sent again after retryAfterMs',
    async (code) => {
      const { server, client } = setup()
      const sub = client.subscribe('todos', { merge: seqLog(), snapshot: true })
      await advance(0)
      const statuses: string[] = []
      sub.$state.listen((state) => statuses.push(state.status))
      const first = server.last.frames[0] as SubscribeFrame
      server.last.send({
        type: 'error',
        id: first.id,
        code,
        message: 'slow down',
        retryAfterMs: 5000,
      })
      await advance(4999)
      expect(server.last.frames).toEqual([first])
      expect(sub.$state.get()).toMatchObject({ status: 'connecting', error: null })
      await advance(1)
      expect(server.last.frames).toEqual([
        first,
        { type: 'subscribe', id: expect.any(String), topic: 'todos', snapshot: 'always' },
      ])
      const second = server.last.frames[1] as SubscribeFrame
      expect(second.id).not.toBe(first.id)
      server.last.send([
        { ...subscribed('todos', 4, 'e1', true), id: second.id },
        { type: 'snapshot', topic: 'todos', epoch: 'e1', seq: 4, data: ['s'] },
      ])
      await advance(10_000)
      expect(server.last.frames).toHaveLength(2)
      expect(statuses).toEqual(['live'])
      expect(sub.$state.get()).toMatchObject({ data: ['s'], status: 'live', error: null })
      client.close()
    },
  )

  test('a RATE_LIMITED subscribe is not sent again once nobody wants it, nor over a new connection', async () => {
    const { server, client } = setup()
    const gone = client.subscribe('gone', { merge: seqLog() })
    client.subscribe('kept', { merge: seqLog() })
    await advance(0)
    const [forGone, forKept] = server.last.frames as SubscribeFrame[]
    server.last.send([
      { type: 'error', id: forGone!.id, code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 1000 },
      { type: 'error', id: forKept!.id, code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 1000 },
    ])
    gone.unsubscribe()
    await advance(0)
    // Never confirmed, but the server may have it by now: ended like any other.
    expect(server.last.frames.slice(2)).toEqual([
      { type: 'unsubscribe', id: expect.any(String), topic: 'gone' },
    ])
    server.last.close(1006)
    await advance(250)
    // The new connection subscribes to what is still wanted; the old retry timer is gone with the old connection.
    expect(server.last.frames).toEqual([{ type: 'subscribe', id: expect.any(String), topic: 'kept' }])
    await advance(10_000)
    expect(server.last.frames).toHaveLength(1)
    client.close()
  })

  test('an invalid topic throws BAD_REQUEST at once', () => {
    const { client } = setup({ lazy: true })
    expect(() => client.subscribe('bad topic', { merge: seqLog() })).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST' }),
    )
  })

  test('the same topic, filter and strategy share one server subscription and one store; the last leaving unsubscribes', async () => {
    const { server, client } = setup()
    const merge = seqLog()
    const a = client.subscribe('todos', { merge, filter: { field: 'owner', equals: 'ann' } })
    const b = client.subscribe('todos', { merge, filter: { field: 'owner', equals: 'ann' } })
    await advance(0)
    expect(a.$state).toBe(b.$state)
    expect(server.last.frames).toHaveLength(1)
    a.unsubscribe()
    a.unsubscribe()
    await advance(0)
    expect(server.last.frames).toHaveLength(1)
    b.unsubscribe()
    await advance(0)
    expect(server.last.frames[1]).toEqual({ type: 'unsubscribe', id: expect.any(String), topic: 'todos' })
    client.close()
  })

  test('stores are shared by strategy key: equal crud() options share, other options, strategies or unkeyed custom() do not', async () => {
    const { server, client } = setup()
    const first = client.subscribe('todos', { merge: crud() })
    const same = client.subscribe('todos', { merge: crud({ key: 'id' }) })
    const prepended = client.subscribe('todos', { merge: crud({ prepend: true }) })
    const byFunction = client.subscribe('todos', { merge: crud<{ id: string }>({ key: (item) => item.id }) })
    const recent = client.subscribe('todos', { merge: latest() })
    const logA = client.subscribe('todos', { merge: seqLog() })
    const logB = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    expect(same.$state).toBe(first.$state)
    const stores = new Set([first, prepended, byFunction, recent, logA, logB].map((sub) => sub.$state))
    expect(stores.size).toBe(6)
    // Still one server subscription for the topic.
    expect(server.last.frames).toEqual([{ type: 'subscribe', id: expect.any(String), topic: 'todos' }])
    server.last.send([
      subscribed('todos', 0),
      event('todos', 1, 'e1', { kind: 'created', key: 't1', data: { id: 't1' } }),
    ])
    await advance(0)
    expect(first.$state.get().data.items).toEqual([{ id: 't1' }])
    expect(recent.$state.get().data).toEqual([{ id: 't1' }])
    expect(logA.$state.get().data).toEqual(['e1:1'])
    expect(logB.$state.get().data).toEqual(['e1:1'])
    client.close()
  })

  test('a presence() store and a crud() store of one topic without filters stay apart', async () => {
    const { server, client } = setup()
    const messages = client.subscribe('room', { merge: crud() })
    const members = client.subscribe('room', { merge: presence(), presence: true })
    await advance(0)
    expect(members.$state).not.toBe(messages.$state)
    const ann = { connectionId: 'c1', identity: 'ann' }
    server.last.send([
      subscribed('room', 0),
      { type: 'presence', topic: 'room', action: 'sync', members: [ann] },
      event('room', 1, 'e1', { kind: 'created', key: 'm1', data: { id: 'm1' } }),
    ])
    await advance(0)
    expect(messages.$state.get().data.items).toEqual([{ id: 'm1' }])
    expect(members.$state.get().data.items).toEqual([ann])
    client.close()
  })

  test('two filters on one topic: the server gets their OR, each store gets its own events', async () => {
    const { server, client } = setup()
    const ann = client.subscribe('todos', { merge: seqLog(), filter: { field: 'owner', equals: 'ann' } })
    await advance(0)
    server.last.send(subscribed('todos', 0))
    await advance(0)
    const bob = client.subscribe('todos', { merge: seqLog(), filter: { field: 'owner', equals: 'bob' } })
    await advance(0)
    expect(server.last.frames[1]).toEqual({
      type: 'subscribe',
      id: expect.any(String),
      topic: 'todos',
      filter: {
        or: [
          { field: 'owner', equals: 'ann' },
          { field: 'owner', equals: 'bob' },
        ],
      },
      from: { epoch: 'e1', seq: 0 },
    })
    server.last.send([
      event('todos', 1, 'e1', { meta: { owner: 'ann' } }),
      event('todos', 2, 'e1', { meta: { owner: 'bob' } }),
      event('todos', 3, 'e1', { meta: { owner: 'ann' } }),
    ])
    await advance(0)
    expect(ann.$state.get().data).toEqual(['e1:1', 'e1:3'])
    expect(bob.$state.get().data).toEqual(['e1:2'])
    ann.unsubscribe()
    await advance(0)
    expect(server.last.frames[2]).toMatchObject({
      type: 'subscribe',
      filter: { field: 'owner', equals: 'bob' },
    })
    client.close()
  })
})

describe('late joiners', () => {
  const ann = { field: 'owner', equals: 'ann' } as const
  const bob = { field: 'owner', equals: 'bob' } as const

  test('a second filter with a loader loads at once; its events during the load apply on top', async () => {
    let resolveLoad!: (data: string[]) => void
    const { server, client } = setup()
    client.subscribe('todos', { merge: seqLog(), filter: ann })
    await advance(0)
    server.last.send([subscribed('todos', 0), event('todos', 1, 'e1', { meta: { owner: 'bob' } })])
    await advance(0)
    const late = client.subscribe('todos', {
      merge: seqLog(),
      filter: bob,
      load: () => new Promise<string[]>((resolve) => (resolveLoad = resolve)),
    })
    expect(late.$state.get().status).toBe('resyncing')
    server.last.send(event('todos', 2, 'e1', { meta: { owner: 'bob' } }))
    await advance(0)
    resolveLoad(['loaded'])
    await advance(0)
    expect(late.$state.get()).toMatchObject({ data: ['loaded', 'e1:2'], status: 'live' })
    client.close()
  })

  test('a late joiner asking for a snapshot resubscribes from the head; the snapshot applies to every store of the topic', async () => {
    const { server, client } = setup()
    const first = client.subscribe('todos', { merge: seqLog(), filter: ann })
    await advance(0)
    server.last.send([subscribed('todos', 0), event('todos', 1, 'e1', { meta: { owner: 'ann' } })])
    await advance(0)
    const late = client.subscribe('todos', { merge: seqLog(), filter: bob, snapshot: true })
    await advance(0)
    expect(server.last.frames[1]).toEqual({
      type: 'subscribe',
      id: expect.any(String),
      topic: 'todos',
      filter: { or: [ann, bob] },
      snapshot: 'always',
    })
    server.last.send([
      subscribed('todos', 5, 'e1', true),
      { type: 'snapshot', topic: 'todos', epoch: 'e1', seq: 5, data: ['s'] },
    ])
    server.last.send(event('todos', 6, 'e1', { meta: { owner: 'bob' } }))
    await advance(0)
    expect(first.$state.get()).toMatchObject({
      data: ['s'],
      status: 'live',
      position: { epoch: 'e1', seq: 5 },
    })
    expect(late.$state.get()).toMatchObject({ data: ['s', 'e1:6'], status: 'live' })
    client.close()
  })

  test('a loader of a store created while disconnected runs once the next connection confirms the topic', async () => {
    const load = vi.fn(async () => ['loaded'])
    const { server, client } = setup()
    client.subscribe('todos', { merge: seqLog(), filter: ann })
    await advance(0)
    server.last.send(subscribed('todos', 3))
    server.last.close(1006)
    await advance(0)
    const late = client.subscribe('todos', { merge: seqLog(), filter: bob, load })
    expect(late.$state.get().status).toBe('connecting')
    expect(load).not.toHaveBeenCalled()
    await advance(250)
    server.last.send(subscribed('todos', 3))
    await advance(0)
    expect(load).toHaveBeenCalledTimes(1)
    expect(late.$state.get()).toMatchObject({ data: ['loaded'], status: 'live' })
    client.close()
  })
})

describe('resume and dedup', () => {
  test('resubscribes every topic from its position after a reconnect; replay overlap is dropped', async () => {
    const { server, client } = setup()
    const todos = client.subscribe('todos', { merge: seqLog() })
    const chat = client.subscribe('chat', { merge: seqLog() })
    await advance(0)
    server.last.send([
      subscribed('todos', 0),
      subscribed('chat', 10, 'c1'),
      event('todos', 1),
      event('todos', 2),
    ])
    server.last.send([event('chat', 11, 'c1'), event('todos', 3)])
    await advance(0)
    server.last.close(1006)
    await advance(0)
    expect(todos.$state.get().status).toBe('connecting')
    await advance(250)
    expect(server.last.frames).toEqual([
      { type: 'subscribe', id: expect.any(String), topic: 'todos', from: { epoch: 'e1', seq: 3 } },
      { type: 'subscribe', id: expect.any(String), topic: 'chat', from: { epoch: 'c1', seq: 11 } },
    ])
    // A server replays (from, head]; an overlap and a repeated frame must still apply once.
    server.last.send([
      subscribed('todos', 5),
      event('todos', 2),
      event('todos', 3),
      event('todos', 4),
      event('todos', 4),
    ])
    server.last.send([
      event('todos', 5),
      subscribed('chat', 11, 'c1'),
      event('chat', 11, 'c1'),
      event('chat', 12, 'c1'),
    ])
    await advance(0)
    expect(todos.$state.get()).toMatchObject({
      data: ['e1:1', 'e1:2', 'e1:3', 'e1:4', 'e1:5'],
      status: 'live',
      position: { epoch: 'e1', seq: 5 },
    })
    expect(chat.$state.get().data).toEqual(['c1:11', 'c1:12'])
    client.close()
  })

  test('seeded data with its position resumes after it', async () => {
    const { server, client } = setup()
    client.subscribe('todos', {
      merge: seqLog(),
      initialData: ['ssr'],
      initialPosition: { epoch: 'e1', seq: 40 },
    })
    await advance(0)
    expect(server.last.frames[0]).toMatchObject({ from: { epoch: 'e1', seq: 40 } })
    client.close()
  })
})

describe('resync', () => {
  test('a resume whose subscribed announces a resync shows no live before the resync, however late it comes', async () => {
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    server.last.send([subscribed('todos', 2), event('todos', 3)])
    await advance(0)
    server.last.close(1006)
    await advance(250)
    const statuses: string[] = []
    sub.$state.listen((state) => statuses.push(state.status))
    server.last.send({ ...subscribed('todos', 0, 'e2'), resync: 'epoch_changed' })
    await advance(1000)
    expect(statuses).toEqual([])
    server.last.send({ type: 'resync', topic: 'todos', reason: 'epoch_changed', epoch: 'e2', seq: 0 })
    await advance(0)
    expect(statuses).toEqual(['resyncing', 'live'])
    expect(sub.$state.get()).toMatchObject({ error: null, stale: 'epoch_changed' })
    client.close()
  })

  test('a resume at the head goes live with its subscribed: no replay and no resync can follow', async () => {
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    server.last.send([subscribed('todos', 2), event('todos', 3)])
    await advance(0)
    server.last.close(1006)
    await advance(250)
    server.last.send(subscribed('todos', 3))
    expect(sub.$state.get().status).toBe('live')
    client.close()
  })

  test('a resume with a replay goes live with its subscribed, before the replayed events arrive', async () => {
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    server.last.send([subscribed('todos', 2), event('todos', 3)])
    await advance(0)
    server.last.close(1006)
    await advance(250)
    server.last.send(subscribed('todos', 5))
    expect(sub.$state.get().status).toBe('live')
    server.last.send([event('todos', 4), event('todos', 5)])
    await advance(0)
    expect(sub.$state.get()).toMatchObject({ data: ['e1:3', 'e1:4', 'e1:5'], status: 'live' })
    client.close()
  })

  test('a resumed subscription dropped before its announced resync arrives does not show live', async () => {
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    server.last.send([subscribed('todos', 2), event('todos', 3)])
    await advance(0)
    server.last.close(1006)
    await advance(250)
    const statuses: string[] = []
    sub.$state.listen((state) => statuses.push(state.status))
    server.last.send({ ...subscribed('todos', 90), resync: 'too_old' })
    server.last.close(1006)
    await advance(0)
    expect(statuses).toEqual([])
    expect(sub.$state.get().status).toBe('connecting')
    client.close()
  })

  test('epoch_changed with a snapshot: status resyncing, onResync(reason), then the snapshot and live events', async () => {
    const onResync = vi.fn()
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog(), snapshot: true, onResync })
    await advance(0)
    server.last.send([
      subscribed('todos', 2, 'e1', true),
      { type: 'snapshot', topic: 'todos', epoch: 'e1', seq: 2, data: ['a'] },
    ])
    server.last.send(event('todos', 3))
    await advance(0)
    const statuses: string[] = []
    sub.$state.listen((state) => {
      if (statuses[statuses.length - 1] !== state.status) statuses.push(state.status)
    })
    server.last.close(1012)
    await advance(250)
    expect(server.last.frames[0]).toEqual({
      type: 'subscribe',
      id: expect.any(String),
      topic: 'todos',
      from: { epoch: 'e1', seq: 3 },
      snapshot: 'resync',
    })
    server.last.send([
      subscribed('todos', 0, 'e2', true),
      { type: 'resync', topic: 'todos', reason: 'epoch_changed', epoch: 'e2', seq: 0 },
      { type: 'snapshot', topic: 'todos', epoch: 'e2', seq: 0, data: ['fresh'] },
      event('todos', 1, 'e2'),
    ])
    await advance(0)
    expect(onResync.mock.calls).toEqual([['epoch_changed']])
    expect(statuses).toEqual(['connecting', 'resyncing', 'live'])
    expect(sub.$state.get()).toEqual({
      data: ['fresh', 'e2:1'],
      status: 'live',
      error: null,
      stale: null,
      position: { epoch: 'e2', seq: 1 },
    })
    client.close()
  })

  test('too_old with a loader: load() replaces the data, events arriving meanwhile apply on top', async () => {
    let resolveLoad!: (data: string[]) => void
    const load = vi.fn(() => new Promise<string[]>((resolve) => (resolveLoad = resolve)))
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog(), load })
    await advance(0)
    server.last.send(subscribed('todos', 4))
    await advance(0)
    // The first confirmation loads the initial data.
    expect(load).toHaveBeenCalledTimes(1)
    resolveLoad(['initial'])
    await advance(0)
    server.last.send(event('todos', 5))
    await advance(0)
    expect(sub.$state.get().data).toEqual(['initial', 'e1:5'])

    server.last.close(1006)
    await advance(250)
    server.last.send([
      { ...subscribed('todos', 90), resync: 'too_old' },
      { type: 'resync', topic: 'todos', reason: 'too_old', epoch: 'e1', seq: 90 },
      event('todos', 91),
    ])
    await advance(0)
    expect(load).toHaveBeenCalledTimes(2)
    expect(sub.$state.get()).toMatchObject({ status: 'resyncing', stale: 'too_old' })
    resolveLoad(['reloaded'])
    await advance(0)
    expect(sub.$state.get()).toEqual({
      data: ['reloaded', 'e1:91'],
      status: 'live',
      error: null,
      stale: null,
      position: { epoch: 'e1', seq: 91 },
    })
    client.close()
  })

  test('without snapshot or loader the data stays, flagged stale, and events continue', async () => {
    const onResync = vi.fn()
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog(), onResync })
    await advance(0)
    server.last.send([subscribed('todos', 0), event('todos', 1)])
    await advance(0)
    server.last.close(1006)
    await advance(250)
    server.last.send([
      { ...subscribed('todos', 50), resync: 'too_old' },
      { type: 'resync', topic: 'todos', reason: 'too_old', epoch: 'e1', seq: 50 },
      event('todos', 51),
    ])
    await advance(0)
    expect(onResync.mock.calls).toEqual([['too_old']])
    expect(sub.$state.get()).toEqual({
      data: ['e1:1', 'e1:51'],
      status: 'live',
      error: null,
      stale: 'too_old',
      position: { epoch: 'e1', seq: 51 },
    })
    client.close()
  })

  test('a snapshot asked for that the server does not announce (no provider data): live at once', async () => {
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog(), snapshot: true })
    await advance(0)
    server.last.send(subscribed('todos', 3))
    await advance(0)
    expect(sub.$state.get()).toEqual({ data: [], status: 'live', error: null, stale: null, position: null })
    server.last.send(event('todos', 4))
    await advance(0)
    expect(sub.$state.get().data).toEqual(['e1:4'])
    client.close()
  })

  test('an announced snapshot is waited for however long it takes, with no timer', async () => {
    // Heartbeats far apart: the wait is for the snapshot, not for a dead connection.
    const { server, client } = setup({}, { welcome: { heartbeatMs: 1_000_000 } })
    const sub = client.subscribe('todos', { merge: seqLog(), snapshot: true })
    await advance(0)
    server.last.send(subscribed('todos', 3, 'e1', true))
    await advance(60_000)
    expect(sub.$state.get()).toMatchObject({ data: [], status: 'connecting' })
    server.last.send({ type: 'snapshot', topic: 'todos', epoch: 'e1', seq: 3, data: ['s'] })
    await advance(0)
    expect(sub.$state.get()).toEqual({
      data: ['s'],
      status: 'live',
      error: null,
      stale: null,
      position: { epoch: 'e1', seq: 3 },
    })
    client.close()
  })

  test('a resync whose subscribed announces no snapshot is flagged stale at once', async () => {
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog(), snapshot: true })
    await advance(0)
    server.last.send([subscribed('todos', 2), event('todos', 3)])
    await advance(0)
    server.last.close(1012)
    await advance(250)
    server.last.send([
      subscribed('todos', 0, 'e2'),
      { type: 'resync', topic: 'todos', reason: 'epoch_changed', epoch: 'e2', seq: 0 },
    ])
    await advance(0)
    expect(sub.$state.get()).toEqual({
      data: ['e1:3'],
      status: 'live',
      error: null,
      stale: 'epoch_changed',
      position: { epoch: 'e1', seq: 3 },
    })
    client.close()
  })

  test('a snapshot still awaited when the connection drops is asked for again from the head', async () => {
    const { server, client } = setup()
    client.subscribe('todos', { merge: seqLog(), snapshot: true })
    await advance(0)
    server.last.send(subscribed('todos', 9, 'e1', true))
    server.last.close(1006)
    await advance(250)
    expect(server.last.frames[0]).toEqual({
      type: 'subscribe',
      id: expect.any(String),
      topic: 'todos',
      snapshot: 'always',
    })
    client.close()
  })

  test('the server ending a subscription (re-auth) is reported on the store', async () => {
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    server.last.send([subscribed('todos', 0), { type: 'unsubscribed', topic: 'todos', reason: 'FORBIDDEN' }])
    await advance(0)
    expect(sub.$state.get()).toMatchObject({ status: 'error', error: { code: 'FORBIDDEN' } })
    client.close()
  })
})

describe('loaders that fail or are overtaken', () => {
  /** A load() whose every call the test settles by hand, oldest first. */
  const manualLoad = () => {
    const calls: Array<{ resolve: (data: string[]) => void; reject: (error: unknown) => void }> = []
    const load = vi.fn(() => new Promise<string[]>((resolve, reject) => calls.push({ resolve, reject })))
    return { load, calls }
  }

  test.each([
    [
      new ClientError('FORBIDDEN', 'no access'),
      'FORBIDDEN',
      'load() of todos failed: ClientError: no access',
    ],
    [new Error('db down'), 'STALE', 'load() of todos failed: Error: db down'],
  ])('a load() that rejects puts the store in error (%s)', async (cause, code, message) => {
    const { load, calls } = manualLoad()
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog(), load })
    await advance(0)
    server.last.send([subscribed('todos', 4), event('todos', 5)])
    await advance(0)
    calls[0]?.reject(cause)
    await advance(0)
    // What arrived while it ran is still applied; the position moves on.
    expect(sub.$state.get()).toEqual({
      data: ['e1:5'],
      status: 'error',
      error: { code, message },
      stale: null,
      position: { epoch: 'e1', seq: 5 },
    })
    client.close()
  })

  test('a resync while load() runs: the older load is dropped, events apply on top of the newer one', async () => {
    const { load, calls } = manualLoad()
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog(), load })
    await advance(0)
    server.last.send([subscribed('todos', 4), event('todos', 5)])
    await advance(0)
    server.last.send([
      { type: 'resync', topic: 'todos', reason: 'too_old', epoch: 'e1', seq: 90 },
      event('todos', 91),
    ])
    await advance(0)
    expect(load).toHaveBeenCalledTimes(2)
    calls[0]?.resolve(['first'])
    await advance(0)
    expect(sub.$state.get()).toMatchObject({ data: [], status: 'resyncing' })
    calls[1]?.resolve(['second'])
    await advance(0)
    expect(sub.$state.get()).toEqual({
      data: ['second', 'e1:91'],
      status: 'live',
      error: null,
      stale: null,
      position: { epoch: 'e1', seq: 91 },
    })
    // A late failure of the dropped load changes nothing either.
    calls[0]?.reject(new Error('late'))
    await advance(0)
    expect(sub.$state.get().status).toBe('live')
    client.close()
  })

  test('a reconnect while the first load() runs does not load again nor show live before it ends', async () => {
    const { load, calls } = manualLoad()
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog(), load })
    await advance(0)
    server.last.send(subscribed('todos', 4))
    await advance(0)
    server.last.close(1006)
    await advance(250)
    expect(server.last.frames).toEqual([
      { type: 'subscribe', id: expect.any(String), topic: 'todos', from: { epoch: 'e1', seq: 4 } },
    ])
    server.last.send([subscribed('todos', 4), event('todos', 5)])
    await advance(0)
    expect(load).toHaveBeenCalledTimes(1)
    expect(sub.$state.get().status).toBe('resyncing')
    calls[0]?.resolve(['loaded'])
    await advance(0)
    expect(sub.$state.get()).toEqual({
      data: ['loaded', 'e1:5'],
      status: 'live',
      error: null,
      stale: null,
      position: { epoch: 'e1', seq: 5 },
    })
    client.close()
  })

  test('a snapshot asked for by another store leaves a store whose load() runs to its loader', async () => {
    const { load, calls } = manualLoad()
    const { server, client } = setup()
    const ann = client.subscribe('todos', {
      merge: seqLog(),
      load,
      filter: { field: 'owner', equals: 'ann' },
    })
    await advance(0)
    server.last.send(subscribed('todos', 4))
    await advance(0)
    expect(ann.$state.get().status).toBe('resyncing')
    const bob = client.subscribe('todos', {
      merge: seqLog(),
      snapshot: true,
      filter: { field: 'owner', equals: 'bob' },
    })
    await advance(0)
    expect(server.last.frames[1]).toMatchObject({ type: 'subscribe', snapshot: 'always' })
    server.last.send([
      subscribed('todos', 10, 'e1', true),
      { type: 'snapshot', topic: 'todos', epoch: 'e1', seq: 10, data: ['s'] },
      event('todos', 11, 'e1', { meta: { owner: 'ann' } }),
      event('todos', 12, 'e1', { meta: { owner: 'bob' } }),
    ])
    await advance(0)
    expect(bob.$state.get()).toMatchObject({ data: ['s', 'e1:12'], status: 'live' })
    expect(ann.$state.get()).toMatchObject({ data: [], status: 'resyncing' })
    calls[0]?.resolve(['loaded'])
    await advance(0)
    expect(ann.$state.get()).toMatchObject({ data: ['loaded', 'e1:11'], status: 'live', error: null })
    expect(load).toHaveBeenCalledTimes(1)
    client.close()
  })
})

describe('what changes the server subscription and what does not', () => {
  test('a store joining or leaving without changing the combined filter sends nothing', async () => {
    const { server, client } = setup()
    const all = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    server.last.send(subscribed('todos', 3))
    await advance(0)
    // No filter already takes every event: the OR with `mine` is the same subscription.
    const mine = client.subscribe('todos', { merge: seqLog(), filter: { field: 'owner', equals: 'ann' } })
    expect(mine.$state.get().status).toBe('live')
    mine.unsubscribe()
    await advance(0)
    expect(server.last.frames).toEqual([{ type: 'subscribe', id: expect.any(String), topic: 'todos' }])
    all.unsubscribe()
    await advance(0)
    expect(server.last.frames.slice(1)).toEqual([
      { type: 'unsubscribe', id: expect.any(String), topic: 'todos' },
    ])
    client.close()
  })

  test('the last store leaving while disconnected sends no unsubscribe, and the reconnect no subscribe', async () => {
    const { server, client } = setup({ retryDelay: () => 1000 })
    const sub = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    server.last.send(subscribed('todos', 3))
    server.last.close(1006)
    await advance(0)
    sub.unsubscribe()
    await advance(1000)
    expect(server.connections).toHaveLength(2)
    expect(server.last.frames).toEqual([])
    client.close()
  })

  test('the answer to our own unsubscribe (no reason) does not end the topic subscribed again since', async () => {
    const { server, client } = setup()
    const first = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    server.last.send(subscribed('todos', 3))
    first.unsubscribe()
    const again = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    const [, unsubscribe, subscribe] = server.last.frames as Array<{ type: string; id: string }>
    expect([unsubscribe?.type, subscribe?.type]).toEqual(['unsubscribe', 'subscribe'])
    const seen: string[] = []
    again.$state.listen(({ status }) => seen.push(status))
    server.last.send([
      { type: 'unsubscribed', id: unsubscribe!.id, topic: 'todos' },
      { ...subscribed('todos', 3), id: subscribe!.id },
      event('todos', 4),
    ])
    await advance(0)
    expect(again.$state.get()).toEqual({
      data: ['e1:4'],
      status: 'live',
      error: null,
      stale: null,
      position: { epoch: 'e1', seq: 4 },
    })
    // Never `error` in between.
    expect(seen).toEqual(['live', 'live'])
    client.close()
  })
})

describe('presence beside events', () => {
  test('presence frames reach only the presence store of a topic, events only the others', async () => {
    const { server, client } = setup()
    const events = client.subscribe('room', { merge: seqLog(), filter: { field: 'kind', equals: 'chat' } })
    const members = client.subscribe('room', { merge: presence(), presence: true })
    await advance(0)
    expect(server.last.frames).toEqual([
      { type: 'subscribe', id: expect.any(String), topic: 'room', presence: true },
    ])
    const ann = { connectionId: 'c1', identity: 'ann' }
    server.last.send([
      subscribed('room', 0),
      { type: 'presence', topic: 'room', action: 'sync', members: [ann] },
      event('room', 1, 'e1', { meta: { kind: 'chat' } }),
      { type: 'presence', topic: 'room', action: 'leave', member: ann },
    ])
    await advance(0)
    expect(events.$state.get()).toMatchObject({ data: ['e1:1'], status: 'live' })
    expect(members.$state.get()).toMatchObject({ data: { items: [] }, status: 'live' })
    client.close()
  })

  test('setPresence before subscribing to the topic throws NOT_FOUND in development', () => {
    const { client } = setup({ lazy: true })
    expect(() => client.setPresence('room', { typing: true })).toThrow(
      expect.objectContaining({
        code: 'NOT_FOUND',
        message: 'setPresence: subscribe to room before setting presence on it',
        topic: 'room',
      }),
    )
  })

  test('a rate-limited setPresence is not sent again once the topic was left', async () => {
    const { server, client } = setup()
    const sub = client.subscribe('room', { merge: seqLog() })
    await advance(0)
    server.last.send(subscribed('room', 0))
    client.setPresence('room', { typing: true })
    await advance(0)
    const set = server.last.frames[1] as { type: string; id: string }
    expect(set).toEqual({
      type: 'setPresence',
      id: expect.any(String),
      topic: 'room',
      state: { typing: true },
    })
    // Without retryAfterMs the retry would come after 1 s.
    server.last.send({ type: 'error', id: set.id, code: 'RATE_LIMITED', message: 'slow down' })
    sub.unsubscribe()
    await advance(5000)
    expect(server.last.frames.slice(2)).toEqual([
      { type: 'unsubscribe', id: expect.any(String), topic: 'room' },
    ])
    client.close()
  })

  test('a RATE_LIMITED answer without retryAfterMs is retried after 1 s', async () => {
    const { server, client } = setup()
    client.subscribe('room', { merge: seqLog() })
    await advance(0)
    const first = server.last.frames[0] as { id: string }
    server.last.send({ type: 'error', id: first.id, code: 'RATE_LIMITED', message: 'slow down' })
    await advance(999)
    expect(server.last.frames).toHaveLength(1)
    await advance(1)
    expect(server.last.frames).toEqual([first, { type: 'subscribe', id: expect.any(String), topic: 'room' }])
    client.close()
  })
})

describe('optimistic events through the client', () => {
  test("are stamped with the topic and the client's clock", async () => {
    const seen: EventFrame[] = []
    const { client } = setup({
      lazy: true,
      timers: { setTimeout, clearTimeout: (handle) => clearTimeout(handle as never), now: () => 42 },
    })
    const sub = client.subscribe('todos', {
      merge: custom<number>((n, e) => {
        seen.push(e)
        return n + 1
      }, 0),
    })
    sub.optimistic({ kind: 'created', key: 't1', publishId: 'p1' })
    expect(sub.$state.get().data).toBe(1)
    expect(seen).toEqual([
      {
        type: 'event',
        topic: 'todos',
        epoch: '',
        seq: 0,
        ts: 42,
        kind: 'created',
        key: 't1',
        publishId: 'p1',
      },
    ])
    client.close()
  })
})

describe('answers the client does not take at face value', () => {
  test('a topic the server refused is not subscribed again on reconnect, only when the app subscribes again', async () => {
    const { server, client } = setup()
    const first = client.subscribe('secret', { merge: seqLog() })
    await advance(0)
    server.last.send({
      type: 'error',
      id: (server.last.frames[0] as SubscribeFrame).id,
      code: 'FORBIDDEN',
      message: 'no',
    })
    await advance(0)
    expect(first.$state.get()).toMatchObject({ status: 'error', error: { code: 'FORBIDDEN', message: 'no' } })
    server.last.close(1006)
    await advance(250)
    expect(server.last.frames).toEqual([])
    expect(first.$state.get().status).toBe('error')
    // Asked again (a new store of the topic): every store of it tries again.
    const again = client.subscribe('secret', { merge: seqLog(), filter: { field: 'x', equals: 1 } })
    await advance(0)
    expect(server.last.frames).toEqual([{ type: 'subscribe', id: expect.any(String), topic: 'secret' }])
    expect([first, again].map((sub) => sub.$state.get().status)).toEqual(['connecting', 'connecting'])
    server.last.send(subscribed('secret', 4))
    await advance(0)
    expect([first, again].map((sub) => sub.$state.get())).toMatchObject([
      { status: 'live', error: null },
      { status: 'live', error: null },
    ])
    client.close()
  })

  test('an answer to a subscribe that a newer one replaced is ignored', async () => {
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog(), filter: { field: 'a', equals: 1 } })
    await advance(0)
    client.subscribe('todos', { merge: seqLog(), filter: { field: 'b', equals: 1 } })
    await advance(0)
    const [older, newer] = server.last.frames as SubscribeFrame[]
    server.last.send([
      { type: 'error', id: older!.id, code: 'FORBIDDEN', message: 'the old filter' },
      { ...subscribed('todos', 2), id: older!.id },
    ])
    await advance(0)
    expect(sub.$state.get()).toMatchObject({ status: 'connecting', error: null })
    server.last.send({ ...subscribed('todos', 2), id: newer!.id })
    await advance(0)
    expect(sub.$state.get()).toMatchObject({ status: 'live', error: null })
    client.close()
  })

  test('a frame of the wrong type with a command’s id fails it with INTERNAL; a late answer is ignored', async () => {
    const { server, client } = setup({ callTimeoutMs: 1000 })
    const sub = client.subscribe('todos', { merge: seqLog() })
    const call = client.call('count').catch((error: ClientError) => error)
    const publish = client
      .publish('todos', { kind: 'created' }, { id: 'p1' })
      .catch((error: ClientError) => error)
    const late = client.call('slow').catch((error: ClientError) => error)
    await advance(0)
    const [subscribe, count, , slow] = server.last.frames as Array<{ id: string }>
    server.last.send([
      { type: 'ack', id: subscribe!.id },
      { type: 'ack', id: count!.id },
      { type: 'result', id: 'p1', result: 1 },
    ])
    await advance(0)
    expect(await call).toMatchObject({ code: 'INTERNAL', message: 'call count: answered with a ack frame' })
    expect(await publish).toMatchObject({
      code: 'INTERNAL',
      message: 'publish p1 to todos: answered with a result frame',
    })
    expect(sub.$state.get()).toMatchObject({
      status: 'error',
      error: { code: 'INTERNAL', message: 'subscribe todos: answered with a ack frame' },
    })
    await advance(1000)
    expect(await late).toMatchObject({ code: 'TIMEOUT', message: 'call slow: no result in 1000 ms' })
    server.last.send({ type: 'result', id: slow!.id, result: 'too late' })
    await advance(0)
    expect(client.$connection.get().status).toBe('open')
    client.close()
  })
})
