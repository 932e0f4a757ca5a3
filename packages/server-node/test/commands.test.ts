import { describe, expect, it } from 'vitest'
import { defineProcedure, type ErrorContext, type StandardSchemaV1 } from '../src/options'
import { ServerError } from '../src/server-error'
import type { TestServer } from '../src/testing'
import { ofType, serverPerTest } from './helpers'

const fixture = serverPerTest()
const open = fixture.open
let t: TestServer | undefined

// A hand-written Standard Schema: { title: non-empty string, tags?: string[] }.
const todoInput: StandardSchemaV1<unknown, { title: string }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: async (value) => {
      const issues: Array<{ message: string; path?: Array<PropertyKey | { key: PropertyKey }> }> = []
      const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>
      if (typeof record.title !== 'string' || record.title === '')
        issues.push({ message: 'required', path: ['title'] })
      if (record.tags !== undefined) {
        if (!Array.isArray(record.tags)) issues.push({ message: 'must be an array', path: [{ key: 'tags' }] })
        else
          record.tags.forEach((tag, i) => {
            if (typeof tag !== 'string')
              issues.push({ message: 'must be a string', path: ['tags', { key: i }] })
          })
      }
      return issues.length > 0 ? { issues } : { value: { title: (record.title as string).trim() } }
    },
  },
}

describe('calls', () => {
  it('answers results, NOT_FOUND, VALIDATION, ServerError codes and INTERNAL without details', async () => {
    const errors: Array<{ error: unknown; context: ErrorContext }> = []
    t = await fixture.start({
      authenticate: () => ({ id: 'alice' }),
      rules: [{ procedure: '**', call: 'authenticated' }],
      procedures: {
        add: (args: { a: number; b: number }) => args.a + args.b,
        whoami: (_args, ctx) => ({ identity: ctx.identity?.id, connection: typeof ctx.connectionId }),
        nothing: () => undefined,
        createTodo: defineProcedure({ input: todoInput, handler: async (todo) => ({ created: todo.title }) }),
        guarded: () => {
          throw new ServerError('FORBIDDEN', 'admins only')
        },
        broken: async () => {
          throw new Error('secret connection string in here')
        },
      },
      onError: (error, context) => void errors.push({ error, context }),
    })
    const { peer, welcome } = await open()
    peer.send([
      { type: 'call', id: '1', name: 'add', args: { a: 2, b: 3 } },
      { type: 'call', id: '2', name: 'whoami' },
      { type: 'call', id: '3', name: 'nothing' },
      { type: 'call', id: '4', name: 'missing' },
      { type: 'call', id: '5', name: 'createTodo', args: { title: ' Ship ' } },
      { type: 'call', id: '6', name: 'createTodo', args: { tags: ['x', 2] } },
      { type: 'call', id: '7', name: 'guarded' },
      { type: 'call', id: '8', name: 'broken' },
      { type: 'call', id: '9', name: 'constructor' },
    ])
    await peer.collect((f) => f.type === 'result' || f.type === 'error', 9)
    const byId = new Map(peer.frames.filter((f) => 'id' in f).map((f) => [(f as { id: string }).id, f]))
    expect(byId.get('1')).toEqual({ type: 'result', id: '1', result: 5 })
    expect(byId.get('2')).toEqual({
      type: 'result',
      id: '2',
      result: { identity: 'alice', connection: 'string' },
    })
    expect(byId.get('3')).toEqual({ type: 'result', id: '3' })
    expect(byId.get('4')).toEqual({
      type: 'error',
      id: '4',
      code: 'NOT_FOUND',
      message: 'no procedure named "missing"',
    })
    expect(byId.get('5')).toEqual({ type: 'result', id: '5', result: { created: 'Ship' } })
    expect(byId.get('6')).toEqual({
      type: 'error',
      id: '6',
      code: 'VALIDATION',
      message: 'arguments did not pass validation',
      issues: [
        { message: 'required', path: ['title'] },
        { message: 'must be a string', path: ['tags', 1] },
      ],
    })
    expect(byId.get('7')).toEqual({ type: 'error', id: '7', code: 'FORBIDDEN', message: 'admins only' })
    expect(byId.get('8')).toEqual({
      type: 'error',
      id: '8',
      code: 'INTERNAL',
      message: 'internal server error',
    })
    expect(byId.get('9')).toMatchObject({ code: 'NOT_FOUND' })
    expect(errors).toEqual([
      {
        error: new Error('secret connection string in here'),
        context: {
          operation: 'call',
          connectionId: welcome.connectionId,
          identity: { id: 'alice' },
          topic: undefined,
        },
      },
    ])
  })
})

describe('client publish', () => {
  it('acks with the position, tags the event with publishId, and dedups a retry', async () => {
    t = await fixture.start({ rules: [{ topic: 'todos', subscribe: 'anyone', publish: 'anyone' }] })
    const { peer: publisher } = await open()
    const { peer: watcher } = await open()
    watcher.send({ type: 'subscribe', topic: 'todos' })
    await watcher.next(ofType('subscribed'))
    const frame = {
      type: 'publish',
      id: 'pub-1',
      topic: 'todos',
      kind: 'created',
      key: 'a',
      data: { t: 1 },
    } as const
    publisher.send(frame)
    const ack = await publisher.next(ofType('ack'))
    expect(ack).toEqual({ type: 'ack', id: 'pub-1', topic: 'todos', epoch: expect.any(String), seq: 1 })
    publisher.send(frame)
    expect(await publisher.next(ofType('ack'))).toEqual({ ...ack, duplicate: true })
    publisher.send({ ...frame, id: 'pub-2' })
    expect(await publisher.next(ofType('ack'))).toMatchObject({ id: 'pub-2', seq: 2 })
    await watcher.collect(ofType('event'), 2)
    expect(watcher.frames.filter((f) => f.type === 'event')).toEqual([
      expect.objectContaining({ seq: 1, key: 'a', data: { t: 1 }, publishId: 'pub-1' }),
      expect.objectContaining({ seq: 2, publishId: 'pub-2' }),
    ])
    expect(t.server.stats().eventsPublished).toBe(2)
  })

  it('answers FORBIDDEN when authorize denies publishing', async () => {
    t = await fixture.start({ authorize: (_identity, _topic, action) => action === 'subscribe' })
    const { peer } = await open()
    peer.send({ type: 'publish', id: 'p', topic: 'ro', kind: 'created' })
    expect(await peer.next(ofType('error'))).toEqual({
      type: 'error',
      id: 'p',
      code: 'FORBIDDEN',
      message: 'not allowed to publish to ro',
      topic: 'ro',
    })
  })

  it('counts a throwing authorize as a denial and reports it', async () => {
    const errors: string[] = []
    t = await fixture.start({
      authorize: () => {
        throw new Error('rules bug')
      },
      onError: (_error, context) => void errors.push(context.operation),
    })
    const { peer } = await open()
    peer.send({ type: 'subscribe', id: 's', topic: 'x' })
    expect(await peer.next(ofType('error'))).toMatchObject({ id: 's', code: 'FORBIDDEN' })
    expect(errors).toEqual(['authorize:subscribe'])
  })
})

describe('HTTP publish endpoint', () => {
  it('publishes with a publish key, idempotently with an id', async () => {
    t = await fixture.start({ publishKeys: ['key-1'] })
    const { peer } = await open()
    peer.send({ type: 'subscribe', topic: 'orders' })
    await peer.next(ofType('subscribed'))
    const post = (body: unknown, key = 'key-1') =>
      fetch(`${(t as TestServer).url}/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: await r.json() }))
    const first = await post({ topic: 'orders', kind: 'created', key: 'o1', data: { total: 3 }, id: 'h1' })
    expect(first).toEqual({
      status: 200,
      body: { epoch: expect.any(String), seq: 1, duplicate: false },
    })
    expect((await post({ topic: 'orders', kind: 'created', key: 'o1', id: 'h1' })).body).toMatchObject({
      seq: 1,
      duplicate: true,
    })
    expect(await peer.next(ofType('event'))).toMatchObject({
      seq: 1,
      key: 'o1',
      data: { total: 3 },
      publishId: 'h1',
    })
    expect(await post({ topic: 'orders', kind: 'created' }, 'wrong')).toEqual({
      status: 401,
      body: {
        type: 'error',
        code: 'UNAUTHORIZED',
        message: 'a publish key or a token with a publish claim is required',
      },
    })
    expect(await post({ topic: 'bad topic', kind: 'created' })).toMatchObject({
      status: 400,
      body: { code: 'BAD_REQUEST', field: 'topic' },
    })
    expect(await post([1])).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } })
  })

  it('publishes with a token whose identity has a publish claim for the topic', async () => {
    t = await fixture.start({
      authenticate: ({ token }) => (token === 'svc' ? { id: 'svc', claims: { publish: ['metrics'] } } : null),
    })
    const post = (topic: string, token?: string) =>
      fetch(`${(t as TestServer).url}/publish`, {
        method: 'POST',
        headers: token ? { authorization: `Bearer ${token}` } : {},
        body: JSON.stringify({ topic, kind: 'set' }),
      }).then(async (r) => ({ status: r.status, body: await r.json() }))
    expect(await post('metrics', 'svc')).toMatchObject({ status: 200, body: { seq: 1, duplicate: false } })
    expect(await post('other', 'svc')).toEqual({
      status: 403,
      body: {
        type: 'error',
        code: 'FORBIDDEN',
        message: "not allowed to publish to other: the token's publish claim does not list it",
        topic: 'other',
      },
    })
    expect((await post('metrics')).status).toBe(401)
  })
})

describe('server publish', () => {
  it('validates its arguments and coalesces by key', async () => {
    t = await fixture.start({ coalesceMs: 20 })
    await expect(t.server.publish('bad topic', { kind: 'created' })).rejects.toMatchObject({
      name: 'ServerError',
      code: 'BAD_REQUEST',
    })
    await expect(t.server.publish('t', { kind: 'Created' })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(t.server.publish('t', { kind: 'set', data: { n: 1n } as never })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'publish: data and meta must be JSON-serializable (no BigInt, no cycles); convert them first',
    })
    expect(t.server.stats().eventsPublished).toBe(0)
    const { peer } = await open()
    peer.send({ type: 'subscribe', topic: 'cursor' })
    await peer.next(ofType('subscribed'))
    const results = await Promise.all(
      [1, 2, 3].map((x) =>
        t?.server.publish('cursor', { kind: 'set', data: { x } }, { coalesceKey: 'alice' }),
      ),
    )
    expect(results.map((r) => r?.seq ?? null)).toEqual([null, null, 1])
    expect(await peer.next(ofType('event'))).toMatchObject({ seq: 1, data: { x: 3 } })
  })
})
