import { connect } from 'node:net'
import { DEFAULT_LIMITS, type ServerFrame } from '@sluice/protocol'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { ServerError } from '../src/server-error'
import type { TestServer } from '../src/testing'
import { ofType, serverPerTest, WsPeer } from './helpers'

const fixture = serverPerTest()
const open = fixture.open
let t: TestServer | undefined

/** Resolves once every frame the server sent before the pong has arrived. */
async function barrier(peer: WsPeer, id = `b${Math.random()}`) {
  peer.send({ type: 'ping', id })
  await peer.next(ofType('pong', (f) => f.id === id))
}

const eventSeqs = (frames: ServerFrame[], topic?: string) =>
  frames
    .filter((f) => f.type === 'event' && (topic === undefined || f.topic === topic))
    .map((f) => (f as { seq: number }).seq)

describe('WebSocket handshake', () => {
  it('welcomes with the protocol, connection id, heartbeat, limits and identity', async () => {
    t = await fixture.start()
    const { welcome } = await open()
    expect(welcome).toEqual({
      type: 'welcome',
      protocol: 1,
      connectionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      heartbeatMs: 25_000,
      limits: DEFAULT_LIMITS,
      identity: null,
    })
    expect(t.server.connections()).toEqual([
      expect.objectContaining({
        id: welcome.connectionId,
        transport: 'ws',
        identity: null,
        subscriptions: [],
      }),
    ])
  })

  it('refuses a missing or unknown protocol version with 400 PROTOCOL_VERSION', async () => {
    t = await fixture.start()
    await expect(WsPeer.connect(t.url, '')).rejects.toMatchObject({
      status: 400,
      body: expect.stringContaining('"code":"PROTOCOL_VERSION"'),
    })
    const error = await WsPeer.connect(t.url, 'v=2').catch((e) => e)
    expect(error.status).toBe(400)
    expect(JSON.parse(error.body)).toEqual({
      type: 'error',
      code: 'PROTOCOL_VERSION',
      message: 'protocol version "2" is not supported (this server speaks 1)',
    })
  })

  it('refuses a disallowed origin with 403 before upgrading and accepts a listed one', async () => {
    t = await fixture.start({ allowedOrigins: ['https://app.example.com'] })
    const error = await WsPeer.connect(t.url, 'v=1', { origin: 'https://evil.example.com' }).catch((e) => e)
    expect(error.status).toBe(403)
    expect(JSON.parse(error.body)).toEqual({
      type: 'error',
      code: 'FORBIDDEN',
      message: 'this origin is not allowed',
    })
    const { welcome } = await open('v=1', { origin: 'https://app.example.com' })
    expect(welcome.type).toBe('welcome')
  })

  it('authenticates before the upgrade: 401 with the thrown code, identity in welcome otherwise', async () => {
    t = await fixture.start({
      authenticate: ({ token }) => {
        if (token === 'expired') throw new ServerError('TOKEN_EXPIRED', 'the token has expired')
        if (token !== 'good') throw new ServerError('UNAUTHORIZED', 'a valid token is required')
        return { id: 'alice', expiresAt: Date.now() + 60_000 }
      },
    })
    const missing = await WsPeer.connect(t.url, 'v=1').catch((e) => e)
    expect(missing.status).toBe(401)
    expect(JSON.parse(missing.body)).toEqual({
      type: 'error',
      code: 'UNAUTHORIZED',
      message: 'a valid token is required',
    })
    const expired = await WsPeer.connect(t.url, 'v=1&token=expired').catch((e) => e)
    expect(JSON.parse(expired.body).code).toBe('TOKEN_EXPIRED')
    const connectedAt = Date.now()
    const { welcome } = await open('v=1&token=good')
    expect(welcome.identity).toBe('alice')
    expect(welcome.expiresAt).toBeGreaterThan(Date.now())
    // The time left, on the server's clock when it wrote the welcome.
    const expiresAt = welcome.expiresAt as number
    expect(welcome.expiresIn).toBeGreaterThanOrEqual(expiresAt - Date.now())
    expect(welcome.expiresIn).toBeLessThanOrEqual(expiresAt - connectedAt)
    const viaHeader = await open('v=1', { headers: { authorization: 'Bearer good' } })
    expect(viaHeader.welcome.identity).toBe('alice')
  })

  it('refuses connections past maxConnections with 503 OVERLOADED', async () => {
    t = await fixture.start({ maxConnections: 1 })
    await open()
    const error = await WsPeer.connect(t.url).catch((e) => e)
    expect(error.status).toBe(503)
    expect(JSON.parse(error.body)).toMatchObject({ type: 'error', code: 'OVERLOADED', retryAfterMs: 1000 })
  })

  it('frees the connection slot of a handshake that ws refuses', async () => {
    t = await fixture.start({ maxConnections: 1 })
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(t?.port as number, '127.0.0.1', () => {
        // An upgrade without Sec-WebSocket-Key: ws answers 400 itself, without calling back.
        socket.write(
          'GET /realtime/ws?v=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n',
        )
      })
      let text = ''
      socket.on('data', (chunk) => {
        text += chunk.toString()
      })
      socket.on('close', () => resolve(text))
      socket.on('error', reject)
    })
    expect(answer.startsWith('HTTP/1.1 400')).toBe(true)
    const { welcome } = await open()
    expect(welcome.type).toBe('welcome')
  })

  it('answers a plain GET on the ws endpoint with 426', async () => {
    t = await fixture.start()
    const response = await fetch(`${t.url}/ws?v=1`)
    expect(response.status).toBe(426)
    expect(response.headers.get('upgrade')).toBe('websocket')
    expect(await response.json()).toEqual({
      type: 'error',
      code: 'BAD_REQUEST',
      message: 'this endpoint needs a WebSocket upgrade',
    })
  })
})

describe('WebSocket subscriptions', () => {
  it('subscribes, receives events in order, unsubscribes', async () => {
    t = await fixture.start()
    const { peer } = await open()
    peer.send({ type: 'subscribe', id: 's1', topic: 'todos' })
    const subscribed = await peer.next(ofType('subscribed'))
    expect(subscribed).toEqual({
      type: 'subscribed',
      id: 's1',
      topic: 'todos',
      epoch: expect.any(String),
      seq: 0,
    })
    const epoch = (subscribed as { epoch: string }).epoch
    expect(await t.server.publish('todos', { kind: 'created', key: 'a', data: { title: 'A' } })).toEqual({
      epoch,
      seq: 1,
    })
    await t.server.publish('todos', { kind: 'deleted', key: 'a', meta: { by: 'x' } })
    const [first, second] = await peer.collect(ofType('event'), 2)
    expect(first).toEqual({
      type: 'event',
      topic: 'todos',
      epoch,
      seq: 1,
      kind: 'created',
      key: 'a',
      data: { title: 'A' },
      ts: expect.any(Number),
    })
    expect(second).toMatchObject({ seq: 2, kind: 'deleted', key: 'a', meta: { by: 'x' } })
    peer.send({ type: 'unsubscribe', id: 'u1', topic: 'todos' })
    expect(await peer.next(ofType('unsubscribed'))).toEqual({
      type: 'unsubscribed',
      id: 'u1',
      topic: 'todos',
    })
    await t.server.publish('todos', { kind: 'created', key: 'b' })
    await barrier(peer)
    expect(eventSeqs(peer.frames)).toEqual([1, 2])
    expect(t.server.stats()).toMatchObject({ subscriptions: 0, eventsPublished: 3, eventsDelivered: 2 })
  })

  it('answers unsubscribed for a topic not subscribed (unsubscribe is idempotent)', async () => {
    t = await fixture.start()
    const { peer } = await open()
    peer.send({ type: 'unsubscribe', id: 'u1', topic: 'nope' })
    expect(await peer.next(ofType('unsubscribed'))).toEqual({ type: 'unsubscribed', id: 'u1', topic: 'nope' })
  })

  it('applies filters per subscriber and replaces options on re-subscribe', async () => {
    t = await fixture.start()
    const { peer } = await open()
    peer.send({ type: 'subscribe', id: 's1', topic: 'jobs', filter: { field: 'priority', gte: 3 } })
    await peer.next(ofType('subscribed'))
    for (const priority of [1, 5, 3, 2])
      await t.server.publish('jobs', { kind: 'created', meta: { priority } })
    await barrier(peer)
    expect(eventSeqs(peer.frames)).toEqual([2, 3])
    peer.send({ type: 'subscribe', id: 's2', topic: 'jobs', filter: { field: 'priority', lt: 3 } })
    await peer.next(ofType('subscribed', (f) => f.id === 's2'))
    for (const priority of [1, 5]) await t.server.publish('jobs', { kind: 'created', meta: { priority } })
    await barrier(peer)
    expect(eventSeqs(peer.frames)).toEqual([2, 3, 5])
    expect(t.server.stats().subscriptions).toBe(1)
  })

  it('subscribes from ?subscriptions= at connect', async () => {
    t = await fixture.start()
    const param = Buffer.from(JSON.stringify([{ topic: 'a' }, { topic: 'b' }])).toString('base64url')
    const { peer } = await open(`v=1&subscriptions=${param}`)
    const frames = await peer.collect(ofType('subscribed'), 2)
    expect(frames.map((f) => (f as { topic: string }).topic).sort()).toEqual(['a', 'b'])
    await t.server.publish('b', { kind: 'created' })
    expect(await peer.next(ofType('event'))).toMatchObject({ topic: 'b', seq: 1 })
  })

  it('refuses an invalid ?subscriptions= with 400 naming the field', async () => {
    t = await fixture.start()
    const param = Buffer.from(JSON.stringify([{ topic: 'bad topic' }])).toString('base64url')
    const error = await WsPeer.connect(t.url, `v=1&subscriptions=${param}`).catch((e) => e)
    expect(error.status).toBe(400)
    expect(JSON.parse(error.body)).toMatchObject({ code: 'BAD_REQUEST', field: 'subscriptions.0.topic' })
  })

  it('answers FORBIDDEN when authorize denies and LIMIT_EXCEEDED past maxSubscriptions', async () => {
    t = await fixture.start({
      authorize: (_identity, topic) => topic !== 'secret',
      limits: { maxSubscriptions: 2 },
    })
    const { peer } = await open()
    peer.send({ type: 'subscribe', id: 's0', topic: 'secret' })
    expect(await peer.next(ofType('error'))).toEqual({
      type: 'error',
      id: 's0',
      code: 'FORBIDDEN',
      message: 'not allowed to subscribe to secret',
      topic: 'secret',
    })
    peer.send([
      { type: 'subscribe', id: 's1', topic: 'a' },
      { type: 'subscribe', id: 's2', topic: 'b' },
    ])
    await peer.collect(ofType('subscribed'), 2)
    peer.send({ type: 'subscribe', id: 's3', topic: 'c' })
    expect(await peer.next(ofType('error'))).toMatchObject({ id: 's3', code: 'LIMIT_EXCEEDED', topic: 'c' })
    // Re-subscribing an existing topic is a replacement, not a new subscription.
    peer.send({ type: 'subscribe', id: 's4', topic: 'a' })
    expect(await peer.next(ofType('subscribed'))).toMatchObject({ id: 's4', topic: 'a' })
  })
})

describe('WebSocket malformed input', () => {
  it('answers each bad frame with its code and keeps both connections working', async () => {
    t = await fixture.start()
    const { peer: bad } = await open()
    const { peer: good } = await open()
    good.send({ type: 'subscribe', topic: 't' })
    await good.next(ofType('subscribed'))

    bad.send('{not json')
    expect(await bad.next(ofType('error'))).toEqual({
      type: 'error',
      code: 'BAD_REQUEST',
      message: 'message is not valid JSON',
    })
    bad.send({ type: 'teleport', id: 'x1' } as never)
    expect(await bad.next(ofType('error'))).toEqual({
      type: 'error',
      id: 'x1',
      code: 'UNKNOWN_FRAME',
      message: 'unknown client frame type "teleport"',
      field: 'type',
    })
    bad.send({ type: 'subscribe', id: 'x2', topic: 42 } as never)
    expect(await bad.next(ofType('error'))).toMatchObject({ id: 'x2', code: 'BAD_REQUEST', field: 'topic' })
    bad.send({ type: 'publish', id: 'x3', topic: 't', kind: 'Not A Kind' } as never)
    expect(await bad.next(ofType('error'))).toMatchObject({ id: 'x3', code: 'BAD_REQUEST', field: 'kind' })
    bad.send('[]')
    expect(await bad.next(ofType('error'))).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'a batch must hold at least one frame',
    })
    bad.send('"hello"')
    expect(await bad.next(ofType('error'))).toMatchObject({ code: 'BAD_REQUEST' })
    // One bad frame in a batch fails alone.
    bad.send(JSON.stringify([{ type: 'ping', id: 'p1' }, { type: 'nope' }, { type: 'ping', id: 'p2' }]))
    expect(await bad.next(ofType('pong'))).toEqual({ type: 'pong', id: 'p1' })
    expect(await bad.next(ofType('error'))).toMatchObject({ code: 'UNKNOWN_FRAME' })
    expect(await bad.next(ofType('pong'))).toEqual({ type: 'pong', id: 'p2' })

    await t.server.publish('t', { kind: 'created' })
    expect(await good.next(ofType('event'))).toMatchObject({ seq: 1 })
    await barrier(bad)
    expect(bad.ws.readyState).toBe(bad.ws.OPEN)
  })

  it('closes a binary message with 4400 and an oversized one with 1009, without touching others', async () => {
    t = await fixture.start({ limits: { maxFrameBytes: 1024 } })
    const { peer: binary } = await open()
    const { peer: big } = await open()
    const { peer: good } = await open()
    good.send({ type: 'subscribe', topic: 't' })
    await good.next(ofType('subscribed'))

    binary.ws.send(Buffer.from([1, 2, 3]))
    expect(await binary.next(ofType('error'))).toEqual({
      type: 'error',
      code: 'BAD_REQUEST',
      message: 'binary messages are not part of the protocol',
    })
    expect(await binary.closed).toEqual({ code: 4400, reason: 'BAD_REQUEST' })

    big.send(JSON.stringify({ type: 'ping', id: 'x'.repeat(2000) }))
    expect((await big.closed).code).toBe(1009)

    await t.server.publish('t', { kind: 'created' })
    expect(await good.next(ofType('event'))).toMatchObject({ seq: 1 })
    await expect.poll(() => t?.server.stats().transports).toEqual({ ws: 1, sse: 0 })
  })

  it('rate limits commands per connection with RATE_LIMITED and retryAfterMs', async () => {
    t = await fixture.start({ rateLimit: { perSecond: 1, burst: 2 } })
    const { peer } = await open()
    const { peer: other } = await open()
    peer.send([
      { type: 'ping', id: '1' },
      { type: 'ping', id: '2' },
      { type: 'ping', id: '3' },
    ])
    const error = await peer.next(ofType('error'))
    expect(error).toMatchObject({ id: '3', code: 'RATE_LIMITED', message: 'too many commands; slow down' })
    expect((error as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(900)
    expect((error as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(1000)
    expect(peer.frames.filter((f) => f.type === 'pong')).toEqual([
      { type: 'pong', id: '1' },
      { type: 'pong', id: '2' },
    ])
    other.send({ type: 'ping', id: 'o' })
    expect(await other.next(ofType('pong'))).toEqual({ type: 'pong', id: 'o' })
  })
})

describe('WebSocket slow consumer', () => {
  it('closes a stalled client with 4507 while another keeps receiving', async () => {
    t = await fixture.start({ maxBufferedBytes: 64 * 1024 })
    const { peer: stalled } = await open()
    const { peer: healthy } = await open()
    for (const peer of [stalled, healthy]) {
      peer.send({ type: 'subscribe', topic: 'firehose' })
      await peer.next(ofType('subscribed'))
    }
    stalled.ws.pause()
    // The server destroys a socket that has not answered its close within WS_CLOSE_TIMEOUT_MS
    // (test/slow-consumer.test.ts): with the clock stopped, the stalled peer reads its 4507 at
    // the end however long the healthy one takes to read everything.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    onTestFinished(() => void vi.useRealTimers())
    const data = 'x'.repeat(32 * 1024)
    let published = 0
    // Kernel socket buffers absorb a few MB before the server's own buffer grows: publish until
    // the server gives up on the stalled client (bounded, so a bug cannot loop forever).
    while (t.server.stats().connections === 2 && published < 2_000) {
      await t.server.publish('firehose', { kind: 'created', data })
      published++
      // The healthy reader lives in this process: let it read between publishes.
      await new Promise((resolve) => setImmediate(resolve))
    }
    await t.server.publish('firehose', { kind: 'created', key: 'last' })
    const last = await healthy.next(
      ofType('event', (f) => f.key === 'last'),
      15_000,
    )
    expect((last as { seq: number }).seq).toBe(published + 1)
    expect(eventSeqs(healthy.frames)).toEqual(Array.from({ length: published + 1 }, (_, i) => i + 1))
    stalled.ws.resume()
    expect(await stalled.closed).toEqual({ code: 4507, reason: 'SLOW_CONSUMER' })
  }, 30_000)
})

describe('WebSocket server operations', () => {
  it('sends to and closes by identity', async () => {
    t = await fixture.start({ authenticate: ({ token }) => (token ? { id: token } : null) })
    const { peer: alice1 } = await open('v=1&token=alice')
    const { peer: alice2 } = await open('v=1&token=alice')
    const { peer: bob } = await open('v=1&token=bob')
    expect(
      await t.server.sendTo('alice', { type: 'reconnect', reason: 'SHUTTING_DOWN', retryAfterMs: 5 }),
    ).toBe(2)
    for (const peer of [alice1, alice2]) {
      expect(await peer.next(ofType('reconnect'))).toEqual({
        type: 'reconnect',
        reason: 'SHUTTING_DOWN',
        retryAfterMs: 5,
      })
    }
    expect(await t.server.closeByIdentity('alice', 'FORBIDDEN', 'account suspended')).toBe(2)
    for (const peer of [alice1, alice2]) {
      expect(await peer.next(ofType('error'))).toEqual({
        type: 'error',
        code: 'FORBIDDEN',
        message: 'account suspended',
      })
      expect(await peer.closed).toEqual({ code: 4403, reason: 'FORBIDDEN' })
    }
    await barrier(bob)
    expect(bob.frames.map((f) => f.type)).toEqual(['welcome', 'pong'])
    expect(await t.server.sendTo('nobody', { type: 'ping' })).toBe(0)
  })

  it('shuts down gracefully: reconnect frame, close 1012, hooks, then refuses connects', async () => {
    const disconnects: Array<{ code: number; reason: string }> = []
    t = await fixture.start({ onDisconnect: (_c, close) => void disconnects.push(close) })
    const { peer } = await open()
    peer.send({ type: 'subscribe', topic: 't' })
    await peer.next(ofType('subscribed'))
    const server = t.server
    const url = t.url
    await server.close({ retryAfterMs: 250, retrySpreadMs: 0 })
    expect(await peer.next(ofType('reconnect'))).toEqual({
      type: 'reconnect',
      reason: 'SHUTTING_DOWN',
      retryAfterMs: 250,
    })
    expect(await peer.closed).toEqual({ code: 1012, reason: 'SHUTTING_DOWN' })
    expect(disconnects).toEqual([{ code: 1012, reason: 'SHUTTING_DOWN' }])
    expect(server.stats()).toMatchObject({ connections: 0, subscriptions: 0, closing: true })
    await expect(WsPeer.connect(url)).rejects.toBeDefined()
  })

  it('calls onConnect, onSubscribe, onUnsubscribe and onDisconnect with the connection', async () => {
    const calls: string[] = []
    t = await fixture.start({
      onConnect: (c) => void calls.push(`connect:${c.transport}`),
      onSubscribe: (c, topic) => void calls.push(`subscribe:${topic}:${c.subscriptions.join(',')}`),
      onUnsubscribe: (_c, topic, reason) => void calls.push(`unsubscribe:${topic}:${reason}`),
      onDisconnect: (_c, close) => void calls.push(`disconnect:${close.code}`),
    })
    const { peer } = await open()
    peer.send({ type: 'subscribe', topic: 'a' })
    await peer.next(ofType('subscribed'))
    peer.send({ type: 'subscribe', topic: 'b' })
    await peer.next(ofType('subscribed'))
    peer.send({ type: 'unsubscribe', topic: 'a' })
    await peer.next(ofType('unsubscribed'))
    await peer.close()
    await expect.poll(() => calls.length).toBe(6)
    expect(calls).toEqual([
      'connect:ws',
      'subscribe:a:a',
      'subscribe:b:a,b',
      'unsubscribe:a:undefined',
      'unsubscribe:b:DISCONNECTED',
      'disconnect:1005',
    ])
  })

  it('releases subscriptions, presence and slots when many connections come and go', async () => {
    t = await fixture.start({ maxConnections: 50 })
    for (let round = 0; round < 3; round++) {
      const opened = await Promise.all(Array.from({ length: 50 }, () => open()))
      for (const [i, { peer }] of opened.entries()) {
        peer.send([
          { type: 'subscribe', topic: `room-${i % 5}`, presence: true },
          { type: 'setPresence', id: 'p', topic: `room-${i % 5}`, state: { i } },
        ])
      }
      await Promise.all(opened.map(({ peer }) => peer.next(ofType('ack'))))
      expect(t.server.stats()).toMatchObject({ connections: 50, subscriptions: 50, topics: 5 })
      expect(await t.server.presence('room-0')).toHaveLength(10)
      for (const { peer } of opened) peer.ws.terminate()
      await expect.poll(() => t?.server.stats().connections, { timeout: 5_000 }).toBe(0)
      expect(t.server.stats()).toMatchObject({ subscriptions: 0, topics: 0 })
      expect(await t.server.presence('room-0')).toEqual([])
    }
  })

  it('serves /healthz, <base>/status (to an admin key) and 404 as error frames', async () => {
    t = await fixture.start({ adminKeys: ['admin-key'] })
    await open()
    const origin = t.url.replace('/realtime', '')
    expect(await (await fetch(`${origin}/healthz`)).json()).toEqual({ status: 'ok' })
    const status = await (
      await fetch(`${t.url}/status`, { headers: { authorization: 'Bearer admin-key' } })
    ).json()
    expect(status).toMatchObject({
      protocol: 1,
      connections: 1,
      transports: { ws: 1, sse: 0 },
      subscriptions: 0,
      topics: 0,
      eventsPublished: 0,
      closing: false,
    })
    const missing = await fetch(`${t.url}/nope`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({
      type: 'error',
      code: 'NOT_FOUND',
      message: 'no endpoint at /realtime/nope',
    })
    const wrongMethod = await fetch(`${t.url}/status`, { method: 'POST' })
    expect(wrongMethod.status).toBe(400)
    expect(wrongMethod.headers.get('allow')).toBe('GET')
    expect((await fetch(`${t.url}/sse?v=1`, { method: 'HEAD' })).status).toBe(400)
    expect(t.server.stats().transports.sse).toBe(0)
  })
})
