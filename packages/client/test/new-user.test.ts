/**
 * The bugs a new user hit (issue #14) that the in-process fake server can state exactly: each
 * test failed on the client before its fix. The ones that need the real server are in
 * test/integration/new-user.test.ts.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { createClient } from '../src/client'
import { ClientError } from '../src/client-error'
import { custom } from '../src/merge/custom'
import { advance, event, seqLog, setup, useFakeTime } from './helpers'

beforeEach(useFakeTime)
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

const subscribed = (topic: string, seq: number, epoch = 'e1') => ({
  type: 'subscribed' as const,
  topic,
  epoch,
  seq,
})

describe('a resync the store cannot repair', () => {
  /** A live store, a reconnect, and a too_old resync without snapshot or loader: data kept, stale. */
  async function staleStore(snapshot = false) {
    const onResync = vi.fn()
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog(), snapshot, onResync })
    await advance(0)
    server.last.send(subscribed('todos', 0))
    server.last.send(event('todos', 1))
    await advance(0)
    server.last.close(1006)
    await advance(250)
    server.last.send([
      { ...subscribed('todos', 50), resync: 'too_old' },
      { type: 'resync', topic: 'todos', reason: 'too_old', epoch: 'e1', seq: 50 },
    ])
    await advance(0)
    return { server, client, sub, onResync }
  }

  test('is live with its data and stale set, no error, and stays so while new events arrive', async () => {
    const { server, client, sub, onResync } = await staleStore()
    expect(onResync.mock.calls).toEqual([['too_old']])
    server.last.send([event('todos', 51), event('todos', 52)])
    await advance(0)
    expect(sub.$state.get()).toEqual({
      data: ['e1:1', 'e1:51', 'e1:52'],
      status: 'live',
      error: null,
      stale: 'too_old',
      position: { epoch: 'e1', seq: 52 },
    })
    client.close()
  })

  test('client.resync(topic) subscribes from the head for a snapshot, which clears stale', async () => {
    const { server, client, sub } = await staleStore()
    client.resync('todos')
    expect(sub.$state.get()).toMatchObject({ status: 'resyncing', stale: 'too_old' })
    await advance(0)
    expect(server.last.frames.at(-1)).toEqual({
      type: 'subscribe',
      id: expect.any(String),
      topic: 'todos',
      snapshot: 'always',
    })
    // Frames of the flow it replaces no longer count.
    server.last.send(event('todos', 51))
    server.last.send([
      { ...subscribed('todos', 60), snapshot: true },
      { type: 'snapshot', topic: 'todos', epoch: 'e1', seq: 60, data: ['fresh'] },
      event('todos', 61),
    ])
    await advance(0)
    expect(sub.$state.get()).toEqual({
      data: ['fresh', 'e1:61'],
      status: 'live',
      error: null,
      stale: null,
      position: { epoch: 'e1', seq: 61 },
    })
    client.close()
  })

  test('client.resync(topic) runs load() again, whose result clears stale', async () => {
    const loads: Array<(data: string[]) => void> = []
    const { server, client } = setup()
    const sub = client.subscribe('todos', {
      merge: seqLog(),
      load: () => new Promise<string[]>((resolve) => loads.push(resolve)),
    })
    await advance(0)
    server.last.send(subscribed('todos', 3))
    await advance(0)
    loads[0]?.(['first'])
    await advance(0)
    sub.$state.get()
    client.resync('todos')
    await advance(0)
    server.last.send(subscribed('todos', 9))
    await advance(0)
    expect(loads).toHaveLength(2)
    expect(sub.$state.get()).toMatchObject({ status: 'resyncing' })
    loads[1]?.(['second'])
    await advance(0)
    expect(sub.$state.get()).toMatchObject({ data: ['second'], status: 'live', stale: null })
    client.close()
  })

  test('without a snapshot on the server a resync() leaves the data and the stale flag', async () => {
    const { server, client, sub } = await staleStore()
    client.resync('todos')
    await advance(0)
    server.last.send(subscribed('todos', 60))
    await advance(0)
    expect(sub.$state.get()).toMatchObject({ data: ['e1:1'], status: 'live', stale: 'too_old', error: null })
    client.close()
  })

  test('resync of a topic nobody subscribed to throws NOT_FOUND in development', () => {
    const { client } = setup({ lazy: true })
    expect(() => client.resync('todos')).toThrow(
      new ClientError('NOT_FOUND', 'resync: subscribe to todos before reloading it', { topic: 'todos' }),
    )
  })
})

describe('an event of an epoch nothing announced', () => {
  test('is treated as a resync: not applied, onResync(epoch_changed), stale, subscribed again from the head', async () => {
    const onResync = vi.fn()
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog(), snapshot: true, onResync })
    await advance(0)
    server.last.send([
      { ...subscribed('todos', 2), snapshot: true },
      { type: 'snapshot', topic: 'todos', epoch: 'e1', seq: 2, data: ['s'] },
      event('todos', 3),
    ])
    await advance(0)
    // Another node's bus delivers the new log's events before any flow says the log changed.
    server.last.send([event('todos', 1, 'e2'), event('todos', 2, 'e2')])
    await advance(0)
    expect(onResync.mock.calls).toEqual([['epoch_changed']])
    expect(sub.$state.get()).toMatchObject({
      data: ['s', 'e1:3'],
      status: 'resyncing',
      stale: 'epoch_changed',
      position: { epoch: 'e1', seq: 3 },
    })
    expect(server.last.frames.at(-1)).toEqual({
      type: 'subscribe',
      id: expect.any(String),
      topic: 'todos',
      snapshot: 'always',
    })
    server.last.send([
      { ...subscribed('todos', 2, 'e2'), snapshot: true },
      { type: 'snapshot', topic: 'todos', epoch: 'e2', seq: 2, data: ['new log'] },
      event('todos', 3, 'e2'),
    ])
    await advance(0)
    expect(sub.$state.get()).toEqual({
      data: ['new log', 'e2:3'],
      status: 'live',
      error: null,
      stale: null,
      position: { epoch: 'e2', seq: 3 },
    })
    expect(onResync).toHaveBeenCalledTimes(1)
    client.close()
  })
})

describe('why a store will not go live', () => {
  test('a terminal error at connect puts every store in error with its code and message', async () => {
    const { server, client } = setup({ transports: ['sse'] })
    server.refuse('sse', 'http')
    server.httpRefusal(403, { type: 'error', code: 'FORBIDDEN', message: 'this app may not connect' })
    const todos = client.subscribe('todos', { merge: seqLog() })
    const chat = client.subscribe('chat', { merge: seqLog() })
    await advance(0)
    expect(client.$connection.get().status).toBe('closed')
    for (const sub of [todos, chat]) {
      expect(sub.$state.get()).toMatchObject({
        status: 'error',
        error: { code: 'FORBIDDEN', message: 'this app may not connect' },
      })
    }
  })

  test('close() leaves every store idle without an error; a load() settling later does not revive it', async () => {
    let resolveLoad!: (data: string[]) => void
    const { server, client } = setup()
    const sub = client.subscribe('todos', {
      merge: seqLog(),
      load: () => new Promise((r) => (resolveLoad = r)),
    })
    await advance(0)
    server.last.send(subscribed('todos', 3))
    await advance(0)
    expect(sub.$state.get().status).toBe('resyncing')
    client.close()
    resolveLoad(['late'])
    await advance(0)
    expect(sub.$state.get()).toMatchObject({ data: [], status: 'idle', error: null })
  })
})

describe('misuse', () => {
  test('subscribe without merge is a ClientError that says what to pass', () => {
    const { client } = setup({ lazy: true })
    expect(() => client.subscribe('todos', {} as never)).toThrow(
      new ClientError(
        'BAD_REQUEST',
        'subscribe todos: options.merge must be a merge strategy, e.g. { merge: crud() }, received undefined',
        { topic: 'todos' },
      ),
    )
  })

  test('a relative url is resolved against the page', async () => {
    vi.stubGlobal('location', { href: 'https://app.example/board/42' })
    const { server, client } = setup({ url: '/realtime' })
    await advance(0)
    expect(server.last.url.href).toBe('wss://app.example/realtime/ws?v=1')
    client.close()
  })

  test('a relative url where there is no page is a ClientError that says what to pass', () => {
    expect(() => createClient({ url: '/realtime' })).toThrow(
      new ClientError(
        'BAD_REQUEST',
        "createClient: options.url '/realtime' is relative and there is no page to resolve it against; pass an absolute http(s) URL such as 'https://example.com/realtime'",
      ),
    )
  })

  test('transport is null while the client is not connected', async () => {
    const { server, client } = setup({ retryDelay: () => 1000 })
    await advance(0)
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: 'ws' })
    server.setOnline(false)
    expect(client.$connection.get()).toMatchObject({ status: 'offline', transport: null })
    server.setOnline(true)
    await advance(0)
    server.last.close(1006)
    expect(client.$connection.get()).toMatchObject({ status: 'reconnecting', transport: null })
    client.close()
    expect(client.$connection.get()).toMatchObject({ status: 'closed', transport: null })
  })
})

describe('statuses the table keeps honest', () => {
  test('a load() that ends while the connection is down shows connecting, then live once subscribed again', async () => {
    let resolveLoad!: (data: string[]) => void
    const { server, client } = setup()
    const sub = client.subscribe('todos', {
      merge: seqLog(),
      load: () => new Promise((r) => (resolveLoad = r)),
    })
    await advance(0)
    server.last.send(subscribed('todos', 3))
    await advance(0)
    server.last.close(1006)
    await advance(0)
    resolveLoad(['loaded'])
    await advance(0)
    expect(sub.$state.get()).toMatchObject({ data: ['loaded'], status: 'connecting' })
    await advance(250)
    server.last.send(subscribed('todos', 3))
    await advance(0)
    expect(sub.$state.get()).toMatchObject({ data: ['loaded'], status: 'live' })
    client.close()
  })

  test('an unannounced epoch reloads a store with a loader once the topic is subscribed again', async () => {
    const loads: Array<(data: string[]) => void> = []
    const { server, client } = setup()
    const sub = client.subscribe('todos', { merge: seqLog(), load: () => new Promise((r) => loads.push(r)) })
    await advance(0)
    server.last.send(subscribed('todos', 3))
    await advance(0)
    loads[0]?.(['first'])
    await advance(0)
    server.last.send(event('todos', 1, 'e2'))
    await advance(0)
    expect(loads).toHaveLength(1)
    expect(sub.$state.get()).toMatchObject({ status: 'resyncing', stale: 'epoch_changed' })
    server.last.send(subscribed('todos', 7, 'e2'))
    await advance(0)
    expect(loads).toHaveLength(2)
    loads[1]?.(['second'])
    server.last.send(event('todos', 8, 'e2'))
    await advance(0)
    expect(sub.$state.get()).toMatchObject({ data: ['second', 'e2:8'], status: 'live', stale: null })
    client.close()
  })

  test('a store whose merge strategy threw stays in error across a reconnect', async () => {
    const { server, client } = setup()
    const sub = client.subscribe('todos', {
      merge: custom<number>((n, e) => {
        if (e.kind === 'boom') throw new Error('bad event')
        return n + 1
      }, 0),
    })
    await advance(0)
    server.last.send([subscribed('todos', 0), event('todos', 1, 'e1', { kind: 'boom' })])
    await advance(0)
    expect(sub.$state.get()).toMatchObject({ status: 'error', error: { code: 'INTERNAL' } })
    server.last.close(1006)
    await advance(250)
    server.last.send(subscribed('todos', 1))
    await advance(0)
    expect(sub.$state.get()).toMatchObject({
      status: 'error',
      error: { code: 'INTERNAL', message: 'merge strategy threw: bad event' },
    })
    client.close()
  })
})
