// `sluice.fetch` driven with Node's own Request and Response, the way Deno, Bun and Next.js call
// it: the SSE stream as a Response body, command POSTs, HTTP publish, the operations API,
// refusals with their codes and CORS headers, and the end of a stream (the client cancels or
// aborts, the server cuts a slow consumer or closes) releasing the connection. The same
// endpoints over real sockets, with the real client, are in fetch-served.test.ts.
import { CloseCode, encodeSubscriptionsParam, type ServerFrame } from '@sluice/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import type { SluiceServerOptions } from '../src/options'
import { createSluiceServer } from '../src/server'
import type { SluiceServer } from '../src/server-types'
import { ofType, SsePeer } from './helpers'

// Only the path and query of a request URL matter: the handler never dials anywhere.
const HOST = 'http://sluice.test'
const ALLOWED = 'https://app.example.com'
const REFUSED = 'https://evil.example'

let sluice: SluiceServer | undefined
const peers: SsePeer[] = []
afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.close()))
  await sluice?.close({ retryAfterMs: 0 })
  sluice = undefined
})

interface Disconnect {
  code: number
  reason: string
}

/** A server whose disconnects can be awaited in order. */
function start(options: SluiceServerOptions = {}) {
  const disconnects: Disconnect[] = []
  let wake: (() => void) | undefined
  sluice = createSluiceServer({
    logger: false,
    shutdownTimeoutMs: 1_000,
    onDisconnect: (_info, close) => {
      disconnects.push(close)
      wake?.()
    },
    ...options,
  })
  /** Resolves with the disconnects once there are `count` of them. */
  const disconnected = async (count: number): Promise<Disconnect[]> => {
    while (disconnects.length < count) {
      await new Promise<void>((resolve) => {
        wake = resolve
      })
    }
    return disconnects
  }
  return { server: sluice, disconnected }
}

function call(path: string, init: RequestInit = {}): Promise<Response> {
  return (sluice as SluiceServer).fetch(new Request(`${HOST}${path}`, init))
}

async function answer(response: Response): Promise<[number, unknown]> {
  return [response.status, await response.json()]
}

/** Opens `/realtime/sse?<query>` and reads it up to its welcome. */
async function open(query = 'v=1', headers: Record<string, string> = {}) {
  const controller = new AbortController()
  const response = await call(`/realtime/sse?${query}`, { headers, signal: controller.signal })
  if (response.status !== 200) throw new Error(`SSE refused: ${response.status} ${await response.text()}`)
  const { peer, welcome } = await SsePeer.read(response, controller)
  peers.push(peer)
  return { peer, welcome, response, controller }
}

const subscriptions = (...topics: string[]) => encodeSubscriptionsParam(topics.map((topic) => ({ topic })))

/** Reads a stream's raw text until it contains `marker`; the reader stays with the caller. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, marker: string): Promise<string> {
  const decoder = new TextDecoder()
  let text = ''
  while (!text.includes(marker)) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`the stream ended before ${JSON.stringify(marker)}: ${text}`)
    text += decoder.decode(value, { stream: true })
  }
  return text
}

/** Resolves once `condition` holds, checked each macrotask; fails after 2 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the condition did not hold within 2 s')
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** What a stream still has up to its end. */
async function readRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder()
  let text = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return text
    text += decoder.decode(value, { stream: true })
  }
}

describe('sluice.fetch: the SSE stream', () => {
  it('answers with event-stream headers, retry and welcome, then events with epoch:seq ids', async () => {
    const { server } = start()
    const { peer, welcome, response } = await open(`v=1&subscriptions=${subscriptions('todos')}`)
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache')
    expect(response.headers.get('x-accel-buffering')).toBe('no')
    expect(peer.events[0]).toEqual({
      event: 'welcome',
      id: undefined,
      retry: 2000,
      data: JSON.stringify(welcome),
    })
    expect(welcome).toMatchObject({ type: 'welcome', protocol: 1, identity: null })
    expect(welcome.commandKey).toMatch(/^[A-Za-z0-9_-]{32}$/)
    const subscribed = (await peer.next(ofType('subscribed'))) as Extract<ServerFrame, { type: 'subscribed' }>
    await server.publish('todos', { kind: 'created', key: 'a', data: { title: 'one' } })
    await server.publish('todos', { kind: 'updated', key: 'a', data: { title: 'two' } })
    await peer.collect(ofType('event'), 2)
    expect(peer.events.slice(-2).map((event) => [event.event, event.id])).toEqual([
      [undefined, `${subscribed.epoch}:1`],
      [undefined, `${subscribed.epoch}:2`],
    ])
    expect(peer.frames.filter((f) => f.type === 'event')).toMatchObject([
      { topic: 'todos', seq: 1, kind: 'created', key: 'a', data: { title: 'one' } },
      { topic: 'todos', seq: 2, kind: 'updated', key: 'a', data: { title: 'two' } },
    ])
    expect(server.stats()).toMatchObject({ connections: 1, transports: { ws: 0, sse: 1 } })
  })

  it('resumes from Last-Event-ID with a replay of what came after it', async () => {
    const { server } = start()
    let last: { epoch: string; seq: number } | null = null
    for (let n = 1; n <= 5; n++) last = await server.publish('feed', { kind: 'created', data: n })
    const { peer } = await open(`v=1&subscriptions=${subscriptions('feed')}`, {
      'last-event-id': `${last?.epoch}:2`,
    })
    await peer.collect(ofType('event'), 3)
    expect(peer.frames.filter((f) => f.type === 'event').map((f) => (f as { data: unknown }).data)).toEqual([
      3, 4, 5,
    ])
  })

  it('takes command POSTs bound to the stream by its key, and answers them on the stream', async () => {
    start({ authorize: () => true })
    const { peer, welcome } = await open()
    const post = (body: string, key = welcome.commandKey as string, connection = welcome.connectionId) =>
      call('/realtime/sse/commands', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'sluice-connection': connection, 'sluice-key': key },
        body,
      })
    const frames = [
      { type: 'subscribe', id: '1', topic: 'chat' },
      { type: 'publish', id: '2', topic: 'chat', kind: 'created', data: 'hi' },
      { type: 'ping', id: '3' },
    ]
    expect(await answer(await post(JSON.stringify(frames)))).toEqual([202, { accepted: 3 }])
    // Commands on different topics run concurrently: the pong may come first.
    await peer.collect(ofType('ack'), 1)
    await peer.collect(ofType('pong'), 1)
    expect(peer.frames.filter((f) => f.type !== 'welcome' && f.type !== 'pong')).toMatchObject([
      { type: 'subscribed', id: '1', topic: 'chat', seq: 0 },
      { type: 'event', topic: 'chat', seq: 1, data: 'hi', publishId: '2' },
      { type: 'ack', id: '2', topic: 'chat', seq: 1 },
    ])
    expect(peer.frames.find((f) => f.type === 'pong')).toEqual({ type: 'pong', id: '3' })

    expect(await answer(await post('{"type":"ping"}', 'not-the-key'))).toEqual([
      403,
      { type: 'error', code: 'FORBIDDEN', message: 'the sluice-key header does not match the stream' },
    ])
    expect(await answer(await post('{"type":"ping"}', 'k', 'no-such-stream'))).toEqual([
      404,
      { type: 'error', code: 'NOT_FOUND', message: 'no open SSE stream has this sluice-connection id' },
    ])
    const max = (welcome.limits as { maxFrameBytes: number }).maxFrameBytes
    expect(await answer(await post(`"${'x'.repeat(max)}"`))).toEqual([
      413,
      { type: 'error', code: 'LIMIT_EXCEEDED', message: `the body is larger than ${max} bytes` },
    ])
  })
})

describe('sluice.fetch: publish, status and the operations API', () => {
  it('publishes with a publish key and refuses without one', async () => {
    start({ publishKeys: ['publish-key'] })
    const { peer } = await open(`v=1&subscriptions=${subscriptions('news')}`)
    const { epoch } = (await peer.next(ofType('subscribed'))) as { epoch: string }
    const publish = (authorization: string | undefined, body: unknown) =>
      call('/realtime/publish', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(body),
      })
    const event = { topic: 'news', kind: 'created', key: 'n1', data: { title: 'Hello' }, id: 'p1' }
    expect(await answer(await publish('Bearer publish-key', event))).toEqual([
      200,
      { epoch, seq: 1, duplicate: false },
    ])
    expect(await answer(await publish('Bearer publish-key', event))).toEqual([
      200,
      { epoch, seq: 1, duplicate: true },
    ])
    expect(await peer.next(ofType('event'))).toMatchObject({ topic: 'news', seq: 1, key: 'n1' })
    expect(await answer(await publish(undefined, event))).toEqual([
      401,
      {
        type: 'error',
        code: 'UNAUTHORIZED',
        message: 'a publish key or a token with a publish claim is required',
      },
    ])
    const notJson = await call('/realtime/publish', {
      method: 'POST',
      headers: { authorization: 'Bearer publish-key' },
      body: '{',
    })
    expect(await answer(notJson)).toEqual([
      400,
      { type: 'error', code: 'BAD_REQUEST', message: 'the body is not valid JSON' },
    ])
  })

  it('serves /status behind an admin key (HEAD without a body), /healthz and the admin endpoints', async () => {
    const { server } = start({ adminKeys: ['admin-key'] })
    await open(`v=1&subscriptions=${subscriptions('room')}`)
    const admin = { authorization: 'Bearer admin-key' }
    const status = await call('/realtime/status', { headers: admin })
    const text = await status.text()
    expect(status.status).toBe(200)
    expect(status.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(JSON.parse(text)).toMatchObject({ protocol: 1, connections: 1, transports: { ws: 0, sse: 1 } })
    const head = await call('/realtime/status', { method: 'HEAD', headers: admin })
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([
      200,
      String(Buffer.byteLength(text)),
      '',
    ])
    expect(await answer(await call('/realtime/status'))).toEqual([
      401,
      {
        type: 'error',
        code: 'UNAUTHORIZED',
        message: 'an admin key is required: authorization: Bearer <admin key>',
      },
    ])
    expect(await answer(await call('/realtime/admin/topics', { headers: admin }))).toEqual([
      200,
      { topics: [{ topic: 'room', epoch: expect.any(String), seq: 0, subscribers: 1 }] },
    ])
    const signal = await call('/realtime/admin/signal', {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ identity: 'nobody', name: 'ping' }),
    })
    expect(await answer(signal)).toEqual([200, { reached: 0 }])
    expect(await answer(await call('/healthz'))).toEqual([200, { status: 'ok' }])
    await server.close({ retryAfterMs: 0 })
    expect(await answer(await call('/healthz'))).toEqual([503, { status: 'shutting_down' }])
  })
})

describe('sluice.fetch: refusals', () => {
  it('answers every refusal with its code and status, readable by the page that sent it', async () => {
    start({ allowedOrigins: [ALLOWED], maxConnections: 1 })
    const noVersion = await call('/realtime/sse', { headers: { origin: REFUSED } })
    expect(await answer(noVersion)).toEqual([
      400,
      {
        type: 'error',
        code: 'PROTOCOL_VERSION',
        message: 'the v query parameter is required (this server speaks protocol 1)',
      },
    ])
    const refused = await call('/realtime/sse?v=1', { headers: { origin: REFUSED } })
    expect(await answer(refused)).toEqual([
      403,
      { type: 'error', code: 'FORBIDDEN', message: 'this origin is not allowed' },
    ])
    expect(corsOf(refused)).toEqual({ origin: REFUSED, credentials: 'true', vary: 'Origin' })
    expect(corsOf(noVersion)).toEqual({ origin: REFUSED, credentials: 'true', vary: 'Origin' })

    const { response } = await open('v=1', { origin: ALLOWED })
    expect(corsOf(response)).toEqual({ origin: ALLOWED, credentials: 'true', vary: 'Origin' })
    const full = await call('/realtime/sse?v=1')
    expect(full.headers.get('retry-after')).toBe('1')
    expect(await answer(full)).toEqual([
      503,
      {
        type: 'error',
        code: 'OVERLOADED',
        message: 'the server is at its connection limit; try again later',
        retryAfterMs: 1000,
      },
    ])

    const preflight = await call('/realtime/sse/commands', {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST' },
    })
    expect([preflight.status, await preflight.text()]).toEqual([204, ''])
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS')
    expect(preflight.headers.get('access-control-allow-headers')).toBe(
      'authorization, content-type, last-event-id, sluice-connection, sluice-key',
    )
    const refusedPreflight = await call('/realtime/publish', {
      method: 'OPTIONS',
      headers: { origin: REFUSED, 'access-control-request-method': 'POST' },
    })
    expect(await answer(refusedPreflight)).toEqual([
      403,
      { type: 'error', code: 'FORBIDDEN', message: 'this origin is not allowed' },
    ])

    expect(await answer(await call('/nowhere'))).toEqual([
      404,
      { type: 'error', code: 'NOT_FOUND', message: 'no endpoint at /nowhere' },
    ])
    const wrongMethod = await call('/realtime/publish')
    expect(wrongMethod.headers.get('allow')).toBe('POST')
    expect(await answer(wrongMethod)).toEqual([
      400,
      { type: 'error', code: 'BAD_REQUEST', message: 'use POST for /realtime/publish' },
    ])
    const headSse = await call('/realtime/sse?v=1', { method: 'HEAD' })
    expect([headSse.status, headSse.headers.get('allow'), await headSse.text()]).toEqual([400, 'GET', ''])
    // Node has no way to upgrade from a fetch handler: a handshake is answered like any GET there.
    for (const headers of [{}, { connection: 'Upgrade', upgrade: 'websocket' }]) {
      const ws = await call('/realtime/ws?v=1', { headers })
      expect(ws.headers.get('upgrade')).toBe('websocket')
      expect(await answer(ws)).toEqual([
        426,
        { type: 'error', code: 'BAD_REQUEST', message: 'this endpoint needs a WebSocket upgrade' },
      ])
    }
  })
})

function corsOf(response: Response) {
  return {
    origin: response.headers.get('access-control-allow-origin'),
    credentials: response.headers.get('access-control-allow-credentials'),
    vary: response.headers.get('vary'),
  }
}

describe('sluice.fetch: the end of a stream', () => {
  it('releases the connection and its slot when the client aborts the request', async () => {
    const { server, disconnected } = start({ maxConnections: 1 })
    const first = await open(`v=1&subscriptions=${subscriptions('t')}`)
    await first.peer.next(ofType('subscribed'))
    expect((await call('/realtime/sse?v=1')).status).toBe(503)
    first.controller.abort()
    expect(await disconnected(1)).toEqual([{ code: 1001, reason: '' }])
    expect(server.stats()).toMatchObject({ connections: 0, subscriptions: 0 })
    await first.peer.done
    const second = await open()
    expect(second.welcome.connectionId).not.toBe(first.welcome.connectionId)
  })

  it('releases the connection when the host cancels the body (the client went away)', async () => {
    const { server, disconnected } = start({ maxConnections: 1 })
    const response = await call(`/realtime/sse?v=1&subscriptions=${subscriptions('t')}`)
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    await readUntil(reader, 'event: subscribed')
    expect(server.stats().connections).toBe(1)
    await reader.cancel()
    expect(await disconnected(1)).toEqual([{ code: 1001, reason: '' }])
    expect(server.stats()).toMatchObject({ connections: 0, subscriptions: 0 })
    expect((await open()).response.status).toBe(200)
  })

  it('opens nothing for a client that left while it was being authenticated', async () => {
    // Each connect waits in authenticate until the test lets it through.
    const pending: Array<() => void> = []
    const connects: string[] = []
    const { server } = start({
      maxConnections: 1,
      authenticate: () => new Promise((resolve) => void pending.push(() => resolve({ id: 'u1' }))),
      onConnect: (info) => void connects.push(info.id),
    })
    const controller = new AbortController()
    const answered = call('/realtime/sse?v=1', { signal: controller.signal })
    await until(() => pending.length === 1)
    controller.abort()
    pending[0]?.()
    expect((await answered).status).toBe(204)
    expect(connects).toEqual([])
    expect(server.stats().connections).toBe(0)
    // Its slot went back: the one connection allowed is still free.
    const next = call('/realtime/sse?v=1')
    await until(() => pending.length === 2)
    pending[1]?.()
    const opened = await next
    expect(opened.status).toBe(200)
    await opened.body?.cancel()
  })

  it('cuts a stream whose reader stopped once its queue is over maxBufferedBytes', async () => {
    const { server, disconnected } = start({ maxBufferedBytes: 64 * 1024 })
    const response = await call(`/realtime/sse?v=1&subscriptions=${subscriptions('firehose')}`)
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    await readUntil(reader, 'event: subscribed')
    const healthy = await open(`v=1&subscriptions=${subscriptions('firehose')}`)
    await healthy.peer.next(ofType('subscribed'))
    // 8 KiB events: the ninth puts the stopped reader's queue past 64 KiB.
    const data = 'x'.repeat(8 * 1024)
    for (let n = 1; n <= 12; n++) await server.publish('firehose', { kind: 'created', data })
    expect(await disconnected(1)).toEqual([{ code: CloseCode.SlowConsumer, reason: 'SLOW_CONSUMER' }])
    await healthy.peer.collect(ofType('event'), 12)
    // The queue is dropped, not drained: the stream ends without one of the events it held.
    expect(await readRest(reader)).toBe('')
    expect(server.stats().connections).toBe(1)
  })

  it('gives up a stream whose bytes stopped moving for two heartbeats, however few wait', async () => {
    const { disconnected, server } = start({ heartbeatMs: 40 })
    const response = await call(`/realtime/sse?v=1&subscriptions=${subscriptions('t')}`)
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    await readUntil(reader, 'event: subscribed')
    await server.publish('t', { kind: 'created' })
    expect(await disconnected(1)).toEqual([{ code: CloseCode.SlowConsumer, reason: 'SLOW_CONSUMER' }])
    expect(await readRest(reader)).toBe('')
  })

  it('tells each stream to reconnect and ends it when the server closes, read or not', async () => {
    const { server, disconnected } = start()
    const { peer } = await open()
    // A stream nobody reads right now still gets its last frames once its host reads again.
    const idle = await call('/realtime/sse?v=1')
    const reader = (idle.body as ReadableStream<Uint8Array>).getReader()
    await readUntil(reader, 'event: welcome')
    await server.close({ retryAfterMs: 100, retrySpreadMs: 1 })
    await peer.done
    expect(peer.frames.at(-1)).toEqual({ type: 'reconnect', reason: 'SHUTTING_DOWN', retryAfterMs: 100 })
    expect(await readRest(reader)).toBe(
      'event: reconnect\ndata: {"type":"reconnect","reason":"SHUTTING_DOWN","retryAfterMs":100}\n\n',
    )
    expect(await disconnected(2)).toEqual([
      { code: CloseCode.ServiceRestart, reason: 'SHUTTING_DOWN' },
      { code: CloseCode.ServiceRestart, reason: 'SHUTTING_DOWN' },
    ])
    expect(await answer(await call('/realtime/sse?v=1'))).toEqual([
      503,
      { type: 'error', code: 'SHUTTING_DOWN', message: 'the server is shutting down', retryAfterMs: 1000 },
    ])
  })
})
