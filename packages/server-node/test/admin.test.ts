// The operations API (`<base>/admin/*` and `<base>/status`) against a real server on 127.0.0.1:
// the admin key check, each endpoint's answer, and each refusal with its exact code and field.
import type { ServerFrame } from '@sluice/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { createSluiceServer } from '../src/server'
import type { TestServer } from '../src/testing'
import { ofType, SsePeer, serverPerTest, type WsPeer } from './helpers'

const ADMIN_KEY = 'admin-key-0123456789'
const PUBLISH_KEY = 'publish-key-0123456789'

const fixture = serverPerTest()
const ssePeers: SsePeer[] = []
afterEach(async () => {
  await Promise.all(ssePeers.splice(0).map((peer) => peer.close()))
})

/** A server with the admin API on, whose identities are the connect tokens themselves. */
const start = (options: Parameters<typeof fixture.start>[0] = {}) =>
  fixture.start({
    adminKeys: [ADMIN_KEY],
    publishKeys: [PUBLISH_KEY],
    authenticate: ({ token }) => (token ? { id: token } : null),
    ...options,
  })

interface Call {
  method?: 'GET' | 'POST' | 'HEAD'
  /** The bearer key; null sends no authorization header. */
  key?: string | null
  body?: unknown
}

async function call(t: TestServer, path: string, { method = 'GET', key = ADMIN_KEY, body }: Call = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (key !== null) headers.authorization = `Bearer ${key}`
  const response = await fetch(`${t.url}${path}`, {
    method,
    headers,
    // fetch refuses a body on GET and HEAD: the table of endpoints passes one to every method.
    body:
      body === undefined || method !== 'POST'
        ? undefined
        : typeof body === 'string'
          ? body
          : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown), response }
}

const post = (t: TestServer, path: string, body: unknown, key?: string | null) =>
  call(t, path, { method: 'POST', body, key })

const refusal = (status: number, code: string, message: string, field?: string) => ({
  status,
  body: field === undefined ? { type: 'error', code, message } : { type: 'error', code, message, field },
})

const summary = ({ status, body }: { status: number; body: unknown }) => ({ status, body })

async function openSse(t: TestServer, query: string) {
  const opened = await SsePeer.open(t.url, query)
  if (!opened.peer) throw new Error(`SSE refused: ${JSON.stringify(opened.body)}`)
  ssePeers.push(opened.peer)
  return opened.peer
}

/** Resolves once every frame the server sent the peer before the pong has arrived. */
async function barrier(peer: WsPeer) {
  const id = `b${Math.random()}`
  peer.send({ type: 'ping', id })
  await peer.next(ofType('pong', (f) => f.id === id))
}

const ENDPOINTS: Array<[string, Call['method']]> = [
  ['/status', 'GET'],
  ['/admin/disconnect', 'POST'],
  ['/admin/presence?topic=t', 'GET'],
  ['/admin/topics', 'GET'],
  ['/admin/history?topic=t', 'GET'],
  ['/admin/signal', 'POST'],
]

describe('the admin key', () => {
  it.each(ENDPOINTS)(
    '%s answers 403 FORBIDDEN when no admin key is configured, key or not',
    async (path, method) => {
      const t = await fixture.start({ publishKeys: [PUBLISH_KEY] })
      const off = refusal(403, 'FORBIDDEN', 'the admin API is off: start the server with adminKeys')
      expect(summary(await call(t, path, { method, key: null, body: {} }))).toEqual(off)
      expect(summary(await call(t, path, { method, key: PUBLISH_KEY, body: {} }))).toEqual(off)
    },
  )

  it.each(ENDPOINTS)(
    '%s answers 401 UNAUTHORIZED without a key, with a wrong key or a publish key',
    async (path, method) => {
      const t = await start()
      expect(summary(await call(t, path, { method, key: null, body: {} }))).toEqual(
        refusal(401, 'UNAUTHORIZED', 'an admin key is required: authorization: Bearer <admin key>'),
      )
      const invalid = refusal(401, 'UNAUTHORIZED', 'the admin key is not valid')
      expect(summary(await call(t, path, { method, key: `${ADMIN_KEY}x`, body: {} }))).toEqual(invalid)
      expect(summary(await call(t, path, { method, key: ADMIN_KEY.slice(0, -1), body: {} }))).toEqual(invalid)
      expect(summary(await call(t, path, { method, key: PUBLISH_KEY, body: {} }))).toEqual(invalid)
    },
  )

  it('is read from the authorization header only, never from ?token= (query strings reach access logs)', async () => {
    const t = await start()
    expect((await call(t, `/status?token=${ADMIN_KEY}`, { key: null })).status).toBe(401)
    expect((await call(t, '/status', { key: ADMIN_KEY })).status).toBe(200)
  })

  it('accepts any of several admin keys', async () => {
    const t = await start({ adminKeys: ['first-admin-key', 'second-admin-key'] })
    expect((await call(t, '/status', { key: 'first-admin-key' })).status).toBe(200)
    expect((await call(t, '/status', { key: 'second-admin-key' })).status).toBe(200)
    expect((await call(t, '/status', { key: ADMIN_KEY })).status).toBe(401)
  })

  it('is not a publish key: POST /publish refuses it', async () => {
    // The default authenticate: a bearer that is no publish key is an unknown token.
    const t = await fixture.start({ adminKeys: [ADMIN_KEY], publishKeys: [PUBLISH_KEY] })
    const event = { topic: 't', kind: 'created' }
    expect(summary(await post(t, '/publish', event, ADMIN_KEY))).toEqual(
      refusal(401, 'UNAUTHORIZED', 'a publish key or a token with a publish claim is required'),
    )
    expect((await post(t, '/publish', event, PUBLISH_KEY)).status).toBe(200)
  })

  it('must not also be a publish key, and must not be empty', () => {
    expect(() => createSluiceServer({ logger: false, adminKeys: ['k'], publishKeys: ['k'] })).toThrow(
      'adminKeys and publishKeys must not share a key: use a separate admin key',
    )
    expect(() => createSluiceServer({ logger: false, adminKeys: [''] })).toThrow(
      'adminKeys must be non-empty strings',
    )
  })

  it('a wrong method is refused before the key is looked at, naming the method to use', async () => {
    const t = await start()
    const wrong = await call(t, '/admin/signal', { key: null })
    expect(summary(wrong)).toEqual(refusal(400, 'BAD_REQUEST', 'use POST for /realtime/admin/signal'))
    expect(wrong.response.headers.get('allow')).toBe('POST')
  })
})

describe('GET <base>/status', () => {
  it('answers the stats to an admin key, HEAD included', async () => {
    const t = await start()
    await fixture.open()
    const { status, body } = await call(t, '/status')
    expect(status).toBe(200)
    expect(body).toEqual({
      protocol: 1,
      connections: 1,
      transports: { ws: 1, sse: 0 },
      subscriptions: 0,
      topics: 0,
      eventsPublished: 0,
      eventsDelivered: 0,
      uptimeMs: expect.any(Number),
      closing: false,
      sources: [],
      schedules: [],
    })
    const head = await call(t, '/status', { method: 'HEAD' })
    expect([head.status, head.body]).toEqual([200, undefined])
    expect((await call(t, '/status', { method: 'HEAD', key: null })).status).toBe(401)
  })
})

describe('POST <base>/admin/disconnect', () => {
  it('closes every connection of the identity, on both transports, with FORBIDDEN by default', async () => {
    const t = await start()
    const { peer: ws1 } = await fixture.open('v=1&token=alice')
    const { peer: ws2 } = await fixture.open('v=1&token=alice')
    const sse = await openSse(t, 'v=1&token=alice')
    const { peer: bob } = await fixture.open('v=1&token=bob')
    expect(summary(await post(t, '/admin/disconnect', { identity: 'alice' }))).toEqual({
      status: 200,
      body: { disconnected: 3 },
    })
    const closed = { type: 'error', code: 'FORBIDDEN', message: 'closed by the server' }
    for (const peer of [ws1, ws2]) {
      expect(await peer.next(ofType('error'))).toEqual(closed)
      expect(await peer.closed).toEqual({ code: 4403, reason: 'FORBIDDEN' })
    }
    expect(await sse.next(ofType('error'))).toEqual(closed)
    await sse.done
    expect(sse.ended).toBe(true)
    await barrier(bob)
    expect(bob.frames.map((frame) => frame.type)).toEqual(['welcome', 'pong'])
  })

  it('UNAUTHORIZED with a message: close 4401, so the client comes back with a fresh token', async () => {
    const t = await start()
    const { peer } = await fixture.open('v=1&token=alice')
    const body = { identity: 'alice', code: 'UNAUTHORIZED', message: 'your rights changed; sign in again' }
    expect(summary(await post(t, '/admin/disconnect', body))).toEqual({
      status: 200,
      body: { disconnected: 1 },
    })
    expect(await peer.next(ofType('error'))).toEqual({
      type: 'error',
      code: 'UNAUTHORIZED',
      message: 'your rights changed; sign in again',
    })
    expect(await peer.closed).toEqual({ code: 4401, reason: 'UNAUTHORIZED' })
  })

  it('an identity with no connection is not an error', async () => {
    const t = await start()
    expect(summary(await post(t, '/admin/disconnect', { identity: 'nobody' }))).toEqual({
      status: 200,
      body: { disconnected: 0 },
    })
  })

  it.each([
    ['not JSON', '{"identity":', refusal(400, 'BAD_REQUEST', 'disconnect: the body is not valid JSON')],
    [
      'an array',
      '[]',
      refusal(400, 'BAD_REQUEST', 'disconnect: the body must be an object {identity, code?, message?}'),
    ],
    [
      'identity missing',
      {},
      refusal(
        400,
        'BAD_REQUEST',
        'disconnect: identity must be a non-empty string (an identity id)',
        'identity',
      ),
    ],
    [
      'identity empty',
      { identity: '' },
      refusal(
        400,
        'BAD_REQUEST',
        'disconnect: identity must be a non-empty string (an identity id)',
        'identity',
      ),
    ],
    [
      'a code that does not disconnect',
      { identity: 'a', code: 'NOT_FOUND' },
      refusal(400, 'BAD_REQUEST', 'disconnect: code must be one of FORBIDDEN, UNAUTHORIZED', 'code'),
    ],
    [
      'a message that is not a string',
      { identity: 'a', message: 7 },
      refusal(400, 'BAD_REQUEST', 'disconnect: message must be a string', 'message'),
    ],
    [
      'a message over 256 characters',
      { identity: 'a', message: 'm'.repeat(257) },
      refusal(413, 'LIMIT_EXCEEDED', 'disconnect: message is longer than 256 characters', 'message'),
    ],
  ])('refuses %s', async (_name, body, expected) => {
    const t = await start()
    expect(summary(await post(t, '/admin/disconnect', body))).toEqual(expected)
  })

  it('refuses a body over maxFrameBytes with 413', async () => {
    const t = await start({ limits: { maxFrameBytes: 100 } })
    expect(summary(await post(t, '/admin/disconnect', { identity: 'x'.repeat(200) }))).toEqual(
      refusal(413, 'LIMIT_EXCEEDED', 'the body is larger than 100 bytes'),
    )
  })
})

describe('GET <base>/admin/presence', () => {
  it("lists a topic's members and counts them", async () => {
    const t = await start()
    const { peer: alice, welcome: aliceWelcome } = await fixture.open('v=1&token=alice')
    const { peer: bob, welcome: bobWelcome } = await fixture.open('v=1&token=bob')
    for (const [peer, name] of [
      [alice, 'Ada'],
      [bob, 'Grace'],
    ] as const) {
      peer.send([
        { type: 'subscribe', topic: 'room-1' },
        { type: 'setPresence', id: 'p', topic: 'room-1', state: { name } },
      ])
      await peer.next(ofType('ack'))
    }
    expect(summary(await call(t, '/admin/presence?topic=room-1'))).toEqual({
      status: 200,
      body: {
        topic: 'room-1',
        occupancy: 2,
        members: [
          { connectionId: aliceWelcome.connectionId, identity: 'alice', state: { name: 'Ada' } },
          { connectionId: bobWelcome.connectionId, identity: 'bob', state: { name: 'Grace' } },
        ],
      },
    })
    expect(summary(await call(t, '/admin/presence?topic=room-2'))).toEqual({
      status: 200,
      body: { topic: 'room-2', occupancy: 0, members: [] },
    })
  })

  it.each([
    [
      'no topic',
      '',
      refusal(400, 'BAD_REQUEST', 'presence: topic must be a topic name of [A-Za-z0-9._~:@/+=-]', 'topic'),
    ],
    [
      'a topic with a space',
      '?topic=a%20b',
      refusal(400, 'BAD_REQUEST', 'presence: topic must be a topic name of [A-Za-z0-9._~:@/+=-]', 'topic'),
    ],
    [
      'a topic over maxTopicLength',
      `?topic=${'t'.repeat(201)}`,
      refusal(413, 'LIMIT_EXCEEDED', 'presence: topic is longer than 200 characters', 'topic'),
    ],
  ])('refuses %s', async (_name, query, expected) => {
    const t = await start()
    expect(summary(await call(t, `/admin/presence${query}`))).toEqual(expected)
  })
})

describe('GET <base>/admin/topics', () => {
  it("lists this node's topics with their heads and subscriber counts, sorted by name", async () => {
    const t = await start()
    const { peer: one } = await fixture.open()
    const { peer: two } = await fixture.open()
    const epochs = new Map<string, string>()
    for (const [peer, topic] of [
      [one, 'b'],
      [two, 'b'],
      [two, 'a'],
    ] as const) {
      peer.send({ type: 'subscribe', topic })
      const subscribed = await peer.next(ofType('subscribed', (f) => f.topic === topic))
      epochs.set(topic, (subscribed as { epoch: string }).epoch)
    }
    await t.server.publish('b', { kind: 'created' })
    await t.server.publish('b', { kind: 'created' })
    expect(summary(await call(t, '/admin/topics'))).toEqual({
      status: 200,
      body: {
        topics: [
          { topic: 'a', epoch: epochs.get('a'), seq: 0, subscribers: 1 },
          { topic: 'b', epoch: epochs.get('b'), seq: 2, subscribers: 2 },
        ],
      },
    })
    two.send({ type: 'unsubscribe', id: 'u', topic: 'a' })
    await two.next(ofType('unsubscribed'))
    expect((await call(t, '/admin/topics')).body).toEqual({
      topics: [{ topic: 'b', epoch: epochs.get('b'), seq: 2, subscribers: 2 }],
    })
  })

  it('an idle node lists no topics', async () => {
    const t = await start()
    expect(summary(await call(t, '/admin/topics'))).toEqual({ status: 200, body: { topics: [] } })
  })
})

describe('GET <base>/admin/history', () => {
  it('pages through the log: each next cursor is the from of the following page', async () => {
    const t = await start()
    for (let i = 1; i <= 5; i++) await t.server.publish('todos', { kind: 'created', key: `t${i}`, data: i })
    const first = await call(t, '/admin/history?topic=todos&limit=2')
    const { epoch } = first.body as { epoch: string }
    const event = (seq: number) => ({
      type: 'event',
      topic: 'todos',
      epoch,
      seq,
      kind: 'created',
      key: `t${seq}`,
      data: seq,
      ts: expect.any(Number),
    })
    expect(summary(first)).toEqual({
      status: 200,
      body: { topic: 'todos', epoch, head: 5, events: [event(1), event(2)], next: `${epoch}:2` },
    })
    const second = await call(t, `/admin/history?topic=todos&limit=2&from=${epoch}:2`)
    expect(second.body).toEqual({
      topic: 'todos',
      epoch,
      head: 5,
      events: [event(3), event(4)],
      next: `${epoch}:4`,
    })
    const last = await call(t, `/admin/history?topic=todos&limit=2&from=${epoch}:4`)
    expect(last.body).toEqual({ topic: 'todos', epoch, head: 5, events: [event(5)], next: null })
    const all = await call(t, '/admin/history?topic=todos')
    expect((all.body as { events: unknown[] }).events).toHaveLength(5)
  })

  it('a position the log cannot serve answers the resync reason with the current epoch and head', async () => {
    const t = await start()
    const { epoch } = (await t.server.publish('todos', { kind: 'created' })) as { epoch: string }
    const base = { topic: 'todos', epoch, head: 1, events: [], next: null }
    expect(summary(await call(t, '/admin/history?topic=todos&from=gone:3'))).toEqual({
      status: 200,
      body: { ...base, resync: 'epoch_changed' },
    })
    expect((await call(t, `/admin/history?topic=todos&from=${epoch}:9`)).body).toEqual({
      ...base,
      resync: 'ahead',
    })
  })

  it.each([
    ['no topic', '?limit=5', 'topic must be a topic name of [A-Za-z0-9._~:@/+=-]', 'topic'],
    ['limit 0', '?topic=t&limit=0', 'limit must be an integer from 1 to 1000', 'limit'],
    ['limit 1001', '?topic=t&limit=1001', 'limit must be an integer from 1 to 1000', 'limit'],
    ['limit not an integer', '?topic=t&limit=2.5', 'limit must be an integer from 1 to 1000', 'limit'],
    ['limit not a number', '?topic=t&limit=ten', 'limit must be an integer from 1 to 1000', 'limit'],
    ['from not a position', '?topic=t&from=42', 'from must be a position epoch:seq (a next cursor)', 'from'],
  ])('refuses %s', async (_name, query, message, field) => {
    const t = await start()
    expect(summary(await call(t, `/admin/history${query}`))).toEqual(
      refusal(400, 'BAD_REQUEST', `history: ${message}`, field),
    )
  })
})

describe('POST <base>/admin/signal', () => {
  it('reaches every connection of the identity on both transports, and nobody else', async () => {
    const t = await start()
    const { peer: ws1 } = await fixture.open('v=1&token=alice')
    const { peer: ws2 } = await fixture.open('v=1&token=alice')
    const sse = await openSse(t, 'v=1&token=alice')
    const { peer: bob } = await fixture.open('v=1&token=bob')
    const body = { identity: 'alice', name: 'invoice.ready', data: { invoiceId: 'in_42' } }
    expect(summary(await post(t, '/admin/signal', body))).toEqual({ status: 200, body: { reached: 3 } })
    const signal: ServerFrame = { type: 'signal', name: 'invoice.ready', data: { invoiceId: 'in_42' } }
    for (const peer of [ws1, ws2, sse]) expect(await peer.next(ofType('signal'))).toEqual(signal)
    expect(sse.events.at(-1)).toEqual({ event: 'signal', id: undefined, data: JSON.stringify(signal) })
    await barrier(bob)
    expect(bob.frames.map((frame) => frame.type)).toEqual(['welcome', 'pong'])
  })

  it('a signal without data has no data field; an identity with no connection reaches none', async () => {
    const t = await start()
    const { peer } = await fixture.open('v=1&token=alice')
    expect((await post(t, '/admin/signal', { identity: 'alice', name: 'ping' })).body).toEqual({ reached: 1 })
    expect(await peer.next(ofType('signal'))).toEqual({ type: 'signal', name: 'ping' })
    expect(summary(await post(t, '/admin/signal', { identity: 'nobody', name: 'ping' }))).toEqual({
      status: 200,
      body: { reached: 0 },
    })
  })

  it.each([
    ['not JSON', 'nope', refusal(400, 'BAD_REQUEST', 'signal: the body is not valid JSON')],
    [
      'null',
      'null',
      refusal(
        400,
        'BAD_REQUEST',
        'signal: the body must be an object {identity, name, data?} or {connection, name, data?}',
      ),
    ],
    [
      'identity missing',
      { name: 'n' },
      refusal(400, 'BAD_REQUEST', 'signal: identity must be a non-empty string (an identity id)', 'identity'),
    ],
    [
      'name missing',
      { identity: 'a' },
      refusal(400, 'BAD_REQUEST', 'signal: name must be a signal name of [A-Za-z0-9._~:@/+=-]', 'name'),
    ],
    [
      'a name with a space',
      { identity: 'a', name: 'invoice ready' },
      refusal(400, 'BAD_REQUEST', 'signal: name must be a signal name of [A-Za-z0-9._~:@/+=-]', 'name'),
    ],
    [
      'a name over 128 characters',
      { identity: 'a', name: 'n'.repeat(129) },
      refusal(413, 'LIMIT_EXCEEDED', 'signal: name is longer than 128 characters', 'name'),
    ],
  ])('refuses %s', async (_name, body, expected) => {
    const t = await start()
    expect(summary(await post(t, '/admin/signal', body))).toEqual(expected)
  })
})
