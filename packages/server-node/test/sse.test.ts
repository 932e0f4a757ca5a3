import { get, type IncomingMessage } from 'node:http'
import { decodeLastEventId, encodeSubscriptionsParam } from '@sluice/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { createTestServer, type TestServer } from '../src/testing'
import { ofType, postCommands, SsePeer } from './helpers'

let t: TestServer | undefined
const peers: SsePeer[] = []
afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.close()))
  await t?.close()
  t = undefined
})

async function open(query = 'v=1', headers: Record<string, string> = {}) {
  const opened = await SsePeer.open((t as TestServer).url, query, headers)
  if (!opened.peer) throw new Error(`SSE refused: ${JSON.stringify(opened.body)}`)
  peers.push(opened.peer)
  return {
    peer: opened.peer,
    welcome: opened.welcome as NonNullable<typeof opened.welcome>,
    response: opened.response,
  }
}

describe('SSE stream', () => {
  it('answers with event-stream headers, a retry hint and the welcome with a commandKey', async () => {
    t = await createTestServer()
    const { peer, welcome, response } = await open()
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-cache')
    expect(response.headers.get('x-accel-buffering')).toBe('no')
    expect(peer.retry).toBe(2000)
    // retry: travels in the same SSE event as welcome.
    expect(peer.events[0]).toEqual({
      event: 'welcome',
      id: undefined,
      retry: 2000,
      data: JSON.stringify(welcome),
    })
    expect(welcome).toMatchObject({ type: 'welcome', protocol: 1, identity: null, heartbeatMs: 25_000 })
    expect(welcome.commandKey).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(t.server.stats()).toMatchObject({ connections: 1, transports: { ws: 0, sse: 1 } })
  })

  it('refuses bad connects with JSON error bodies before the stream starts', async () => {
    t = await createTestServer({ allowedOrigins: ['https://app.example.com'], maxConnections: 1 })
    const noVersion = await SsePeer.open(t.url, '')
    expect(noVersion.response.status).toBe(400)
    expect(noVersion.body).toMatchObject({ type: 'error', code: 'PROTOCOL_VERSION' })
    const badOrigin = await SsePeer.open(t.url, 'v=1', { origin: 'https://evil.example.com' })
    expect(badOrigin.response.status).toBe(403)
    expect(badOrigin.body).toEqual({
      type: 'error',
      code: 'FORBIDDEN',
      message: 'this origin is not allowed',
    })
    const { response } = await open('v=1', { origin: 'https://app.example.com' })
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    const full = await SsePeer.open(t.url, 'v=1')
    expect(full.response.status).toBe(503)
    expect(full.body).toMatchObject({ code: 'OVERLOADED' })
  })

  it('sends events as default message events with epoch:seq ids on a single-topic stream', async () => {
    t = await createTestServer()
    const { peer } = await open(`v=1&subscriptions=${encodeSubscriptionsParam([{ topic: 'todos' }])}`)
    const subscribed = (await peer.next(ofType('subscribed'))) as { epoch: string }
    await t.server.publish('todos', { kind: 'created', key: 'a' })
    await peer.next(ofType('event'))
    const last = peer.events.at(-1)
    expect(last?.event).toBeUndefined()
    expect(last?.id).toBe(`${subscribed.epoch}:1`)
    expect(JSON.parse(last?.data ?? '')).toMatchObject({ type: 'event', topic: 'todos', seq: 1, key: 'a' })
    // subscribed carries the position too, so a reconnect before the first event resumes from it.
    expect(peer.events.find((e) => e.event === 'subscribed')?.id).toBe(`${subscribed.epoch}:0`)
    expect(peer.events.find((e) => e.event === 'welcome')?.id).toBeUndefined()
  })

  it('uses a stream cursor id covering every topic on a multi-topic stream', async () => {
    t = await createTestServer()
    const { peer } = await open(
      `v=1&subscriptions=${encodeSubscriptionsParam([{ topic: 'a' }, { topic: 'b' }])}`,
    )
    await peer.collect(ofType('subscribed'), 2)
    const a = await t.server.publish('a', { kind: 'created' })
    await t.server.publish('b', { kind: 'created' })
    const b = await t.server.publish('b', { kind: 'created' })
    await peer.collect(ofType('event'), 3)
    const id = peer.events.at(-1)?.id as string
    expect(id.startsWith('m.')).toBe(true)
    expect(decodeLastEventId(id, ['a', 'b'])).toEqual(
      new Map([
        ['a', { epoch: a?.epoch, seq: 1 }],
        ['b', { epoch: b?.epoch, seq: 2 }],
      ]),
    )
  })

  it('resumes from Last-Event-ID (header or query) with a replay', async () => {
    t = await createTestServer()
    let last: { epoch: string; seq: number } | null = null
    for (let n = 0; n < 6; n++) last = await t.server.publish('feed', { kind: 'created' })
    const epoch = last?.epoch as string
    const subscriptions = encodeSubscriptionsParam([{ topic: 'feed' }])
    const { peer } = await open(`v=1&subscriptions=${subscriptions}`, { 'last-event-id': `${epoch}:3` })
    await peer.collect(ofType('event'), 3)
    expect(peer.frames.filter((f) => f.type === 'event').map((f) => (f as { seq: number }).seq)).toEqual([
      4, 5, 6,
    ])
    expect(peer.events.filter((e) => e.event === undefined).map((e) => e.id)).toEqual([
      `${epoch}:4`,
      `${epoch}:5`,
      `${epoch}:6`,
    ])
    const viaQuery = await open(`v=1&subscriptions=${subscriptions}&lastEventId=${epoch}:5`)
    await viaQuery.peer.collect(ofType('event'), 1)
    // A garbage id is ignored: the stream starts at the head.
    const garbage = await open(`v=1&subscriptions=${subscriptions}`, { 'last-event-id': 'garbage' })
    expect(await garbage.peer.next(ofType('subscribed'))).toMatchObject({ seq: 6 })
    await t.server.publish('feed', { kind: 'created' })
    await garbage.peer.next(ofType('event'))
    await viaQuery.peer.collect(ofType('event'), 2)
    expect(
      garbage.peer.frames.filter((f) => f.type === 'event').map((f) => (f as { seq: number }).seq),
    ).toEqual([7])
    expect(
      viaQuery.peer.frames.filter((f) => f.type === 'event').map((f) => (f as { seq: number }).seq),
    ).toEqual([6, 7])
  })

  it('cuts a stalled stream over maxBufferedBytes while another keeps receiving', async () => {
    const disconnects: Array<{ code: number; reason: string }> = []
    t = await createTestServer({
      maxBufferedBytes: 64 * 1024,
      onDisconnect: (_c, close) => void disconnects.push(close),
    })
    const subscriptions = encodeSubscriptionsParam([{ topic: 'firehose' }])
    const { peer: healthy } = await open(`v=1&subscriptions=${subscriptions}`)
    await healthy.next(ofType('subscribed'))
    let stalled: IncomingMessage | undefined
    const stalledClosed = new Promise<void>((resolve, reject) => {
      const req = get(`${(t as TestServer).url}/sse?v=1&subscriptions=${subscriptions}`, (res) => {
        stalled = res
        res.once('data', () => res.pause()) // read the welcome, then stop reading
        res.on('error', () => {})
      })
      req.on('socket', (socket) => socket.on('close', () => resolve()))
      req.on('error', () => resolve())
      req.on('timeout', reject)
    })
    await expect.poll(() => t?.server.stats().transports.sse).toBe(2)
    const data = 'x'.repeat(32 * 1024)
    let published = 0
    while ((t.server.stats().transports.sse as number) === 2 && published < 2_000) {
      await t.server.publish('firehose', { kind: 'created', data })
      published++
      // The healthy reader lives in this process: let it read between publishes.
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(disconnects).toEqual([{ code: 4507, reason: 'SLOW_CONSUMER' }])
    // The end of the stream sits behind the unread bytes: the client sees it once it reads again.
    stalled?.resume()
    await stalledClosed
    expect(disconnects).toEqual([{ code: 4507, reason: 'SLOW_CONSUMER' }])
    await healthy.collect(ofType('event'), published, 15_000)
    expect(healthy.frames.filter((f) => f.type === 'event').length).toBe(published)
  }, 30_000)

  it('ends the stream after a reconnect frame on shutdown', async () => {
    t = await createTestServer()
    const { peer } = await open()
    const server = t.server
    t = undefined
    await server.close({ retryAfterMs: 100, retrySpreadMs: 0 })
    await peer.done
    expect(peer.frames.map((f) => f.type)).toEqual(['welcome', 'reconnect'])
    expect(peer.events.at(-1)).toEqual({
      event: 'reconnect',
      id: undefined,
      data: '{"type":"reconnect","reason":"SHUTTING_DOWN","retryAfterMs":100}',
    })
  })
})

describe('SSE command channel', () => {
  it('accepts frames and batches with 202 and answers on the stream', async () => {
    t = await createTestServer({ rules: [{ topic: 'todos', subscribe: 'anyone', publish: 'anyone' }] })
    const { peer, welcome } = await open()
    expect(await postCommands(t.url, welcome, { type: 'subscribe', id: 's1', topic: 'todos' })).toEqual({
      status: 202,
      body: { accepted: 1 },
    })
    expect(await peer.next(ofType('subscribed'))).toMatchObject({ id: 's1', topic: 'todos', seq: 0 })
    const batch = [
      { type: 'publish', id: 'p1', topic: 'todos', kind: 'created', key: 'a' },
      { type: 'ping', id: 'x' },
      { type: 'nope' },
    ]
    expect(await postCommands(t.url, welcome, batch)).toEqual({ status: 202, body: { accepted: 3 } })
    await peer.next(ofType('ack'))
    // Commands on different topics (ping has none) do not wait for each other.
    expect(peer.frames.filter((f) => f.type !== 'welcome' && f.type !== 'subscribed')).toEqual([
      { type: 'pong', id: 'x' },
      { type: 'error', code: 'UNKNOWN_FRAME', message: 'unknown client frame type "nope"', field: 'type' },
      expect.objectContaining({ type: 'event', seq: 1, key: 'a', publishId: 'p1' }),
      { type: 'ack', id: 'p1', topic: 'todos', epoch: expect.any(String), seq: 1 },
    ])
  })

  it('answers 404, 403, 400 and 413 with error bodies', async () => {
    t = await createTestServer({ limits: { maxFrameBytes: 1024 } })
    const { welcome } = await open()
    const unknown = await postCommands(t.url, { connectionId: 'nope', commandKey: 'k' }, { type: 'ping' })
    expect(unknown).toEqual({
      status: 404,
      body: { type: 'error', code: 'NOT_FOUND', message: 'no open SSE stream has this sluice-connection id' },
    })
    const badKey = await postCommands(t.url, { ...welcome, commandKey: 'wrong' }, { type: 'ping' })
    expect(badKey).toEqual({
      status: 403,
      body: { type: 'error', code: 'FORBIDDEN', message: 'the sluice-key header does not match the stream' },
    })
    expect(await postCommands(t.url, welcome, '{oops')).toEqual({
      status: 400,
      body: { type: 'error', code: 'BAD_REQUEST', message: 'message is not valid JSON' },
    })
    const big = await postCommands(t.url, welcome, { type: 'ping', id: 'x'.repeat(2000) })
    expect(big).toEqual({
      status: 413,
      body: { type: 'error', code: 'LIMIT_EXCEEDED', message: 'the body is larger than 1024 bytes' },
    })
    const wsConnection = await postCommands(t.url, welcome, { type: 'ping' }, { 'sluice-connection': 'x' })
    expect(wsConnection.status).toBe(404)
  })

  it('answers a CORS preflight for an allowed origin', async () => {
    t = await createTestServer({ allowedOrigins: ['https://app.example.com'] })
    const response = await fetch(`${t.url}/sse/commands`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
    expect(response.headers.get('access-control-allow-headers')).toContain('sluice-key')
    const denied = await fetch(`${t.url}/sse/commands`, {
      method: 'POST',
      headers: { origin: 'https://evil.example.com' },
      body: '{}',
    })
    expect(denied.status).toBe(403)
  })
})
