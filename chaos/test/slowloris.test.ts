/**
 * Slowloris: clients that start a request (an SSE connect, a WebSocket upgrade, a command POST,
 * a publish) and send it a byte at a time without ever finishing, or send nothing at all. Each
 * must be answered 408 IDLE_TIMEOUT and cut by the hardened server's timeouts, none may take a
 * Sluice connection slot (maxConnections) while it dribbles, and a well-behaved client must get
 * in and receive its events in the middle of an attack. Long-lived answers are not requests in
 * progress: an SSE stream and a WebSocket outlive every timeout here.
 *
 * The budgets are the production ones scaled down (10 s headers, 30 s requests, 1 s check in
 * DEFAULT_HARDEN_OPTIONS), so each scenario takes under a second of real time.
 */
import { encodeSubscriptionsParam, type ServerFrame } from '@sluice/protocol'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { WS_CLOSE_TIMEOUT_MS } from '../../packages/server-node/src/transports/ws'
import { connectionsReach } from './harness/connections'
import { Figures, ms } from './harness/figures'
import { type HardenedServer, startHardenedServer } from './harness/hardened-server'
import { clientFrame, httpAnswer, RawSocket, upgradeRequest } from './harness/raw-socket'
import { SseStream } from './harness/sse-stream'
import { sized } from './support/sizing'
import { within } from './support/wait'

const HARDEN = { headersTimeoutMs: 300, requestTimeoutMs: 600, checkIntervalMs: 25 }
const HEARTBEAT_MS = 100
const IDLE_TIMEOUT_MS = 300
// A check interval and scheduling noise on a loaded 2-core machine.
const SLACK_MS = 700
// How fast a slowloris client sends: far slower than any real client, far faster than any timeout.
const DRIBBLE_MS = 20
const TIMED_OUT = {
  statusLine: 'HTTP/1.1 408 Request Timeout',
  status: 408,
  body: { type: 'error', code: 'IDLE_TIMEOUT', message: 'the request did not arrive in time' },
}

const ATTACKERS = sized(100, 1_000)
// The attack's header budget outlasts connecting every attacker (a long run's thousand take a
// while), so that all of them are dribbling at once when the well-behaved clients arrive.
const ATTACK_HEADERS_MS = sized(300, 3_000)

const figures = new Figures('slowloris', '| Scenario | Budget | Measured |\n| --- | --- | --- |')
afterAll(() => figures.publish())

let server: HardenedServer | undefined
const raws: RawSocket[] = []
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const raw of raws.splice(0)) raw.destroy()
  for (const cleanup of cleanups.splice(0)) await cleanup()
  await server?.close()
  server = undefined
})

function start(maxConnections = 10, harden = HARDEN): Promise<HardenedServer> {
  return startHardenedServer(
    {
      heartbeatMs: HEARTBEAT_MS,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
      maxConnections,
      publishKeys: ['publish-key'],
      authorize: () => true,
    },
    harden,
  )
}

async function raw(port: number): Promise<RawSocket> {
  const socket = await RawSocket.open(port)
  raws.push(socket)
  return socket
}

const sseQuery = `v=1&subscriptions=${encodeSubscriptionsParam([{ topic: 'news' }])}`
const requests = {
  'an SSE connect': `GET /realtime/sse?${sseQuery} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`,
  'a WebSocket upgrade': upgradeRequest('/realtime/ws?v=1'),
}

async function openSse(url: string): Promise<SseStream> {
  const stream = await SseStream.connect(url)
  cleanups.push(() => stream.close())
  return stream
}

describe('slowloris', () => {
  for (const [kind, request] of Object.entries(requests)) {
    it(`${kind} whose headers never finish is answered 408 and cut after headersTimeoutMs`, async () => {
      server = await start()
      const client = await raw(server.port)
      // Everything but the blank line that ends the headers, a byte at a time.
      client.dribble(request.slice(0, -2), DRIBBLE_MS)
      const end = await within(client.closed, HARDEN.headersTimeoutMs + SLACK_MS, `${kind} to be cut`)
      expect(httpAnswer(end.text)).toEqual(TIMED_OUT)
      expect(end.afterMs).toBeGreaterThanOrEqual(HARDEN.headersTimeoutMs - 5)
      figures.add(
        `| ${kind}, a header byte every ${DRIBBLE_MS} ms | headers ${HARDEN.headersTimeoutMs} ms | 408, cut after ${ms(end.afterMs)} |`,
      )
      await server.socketsReach(0, SLACK_MS, `the ${kind} socket to be released`)
      expect(server.sluice.stats().connections).toBe(0)
    })
  }

  it('a connection that sends nothing is answered 408 and cut after headersTimeoutMs', async () => {
    server = await start()
    const client = await raw(server.port)
    const end = await within(
      client.closed,
      HARDEN.headersTimeoutMs + SLACK_MS,
      'a silent connection to be cut',
    )
    expect(httpAnswer(end.text)).toEqual(TIMED_OUT)
    expect(end.afterMs).toBeGreaterThanOrEqual(HARDEN.headersTimeoutMs - 5)
    figures.add(
      `| a connection that sends nothing | headers ${HARDEN.headersTimeoutMs} ms | 408, cut after ${ms(end.afterMs)} |`,
    )
  })

  it('a command POST whose body never finishes is answered 408 after requestTimeoutMs; its stream lives on', async () => {
    server = await start()
    const stream = await openSse(`${server.url}/sse?${sseQuery}`)
    const welcome = (await stream.frame((f) => f.type === 'welcome', 5_000, 'welcome')) as Extract<
      ServerFrame,
      { type: 'welcome' }
    >
    const body = JSON.stringify({ type: 'ping', id: 'p1' })
    const client = await raw(server.port)
    client.socket.write(
      'POST /realtime/sse/commands HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        `sluice-connection: ${welcome.connectionId}\r\nsluice-key: ${welcome.commandKey}\r\n` +
        `Content-Length: ${body.length}\r\n\r\n`,
    )
    client.dribble(body.slice(0, -1), DRIBBLE_MS)
    const end = await within(client.closed, HARDEN.requestTimeoutMs + SLACK_MS, 'the command POST to be cut')
    expect(httpAnswer(end.text)).toEqual(TIMED_OUT)
    expect(end.afterMs).toBeGreaterThanOrEqual(HARDEN.requestTimeoutMs - 5)
    figures.add(
      `| a command POST body, a byte every ${DRIBBLE_MS} ms | request ${HARDEN.requestTimeoutMs} ms | 408, cut after ${ms(end.afterMs)} |`,
    )
    // The stream the POST named was not harmed, and the half-sent command never ran.
    await server.sluice.publish('news', { kind: 'created', key: 'after' })
    await stream.frame((f) => f.type === 'event' && f.key === 'after', 5_000, 'the event after the cut POST')
    expect(stream.frames.some((f) => f.type === 'pong')).toBe(false)
  })

  it('a publish whose body never finishes is answered 408 after requestTimeoutMs and publishes nothing', async () => {
    server = await start()
    const body = JSON.stringify({ topic: 'news', kind: 'created', key: 'slow' })
    const client = await raw(server.port)
    client.socket.write(
      'POST /realtime/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer publish-key\r\n' +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    )
    client.dribble(body.slice(0, -1), DRIBBLE_MS)
    const end = await within(client.closed, HARDEN.requestTimeoutMs + SLACK_MS, 'the publish POST to be cut')
    expect(httpAnswer(end.text)).toEqual(TIMED_OUT)
    expect(end.afterMs).toBeGreaterThanOrEqual(HARDEN.requestTimeoutMs - 5)
    figures.add(
      `| a publish body, a byte every ${DRIBBLE_MS} ms | request ${HARDEN.requestTimeoutMs} ms | 408, cut after ${ms(end.afterMs)} |`,
    )
    expect(server.sluice.stats().eventsPublished).toBe(0)
  })

  it('a WebSocket message sent a byte at a time counts as silence: closed 4408 after idleTimeoutMs', async () => {
    server = await start()
    const client = await raw(server.port)
    client.socket.write(upgradeRequest('/realtime/ws?v=1'))
    await client.receive('HTTP/1.1 101', 5_000)
    expect(server.sluice.stats().connections).toBe(1)
    const upgradedAt = performance.now()
    client.dribble(clientFrame(Buffer.from(JSON.stringify({ type: 'ping', id: 'slow' })), 0x1), DRIBBLE_MS)
    // The close frame: FIN + close opcode, 2 + 12 bytes of payload (4408 and "IDLE_TIMEOUT").
    const closeFrame = `\x88\x0e${String.fromCharCode(4408 >> 8, 4408 & 0xff)}IDLE_TIMEOUT`
    await client.receive(closeFrame, IDLE_TIMEOUT_MS + HEARTBEAT_MS + SLACK_MS)
    const closedAfter = performance.now() - upgradedAt
    expect(closedAfter).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 5)
    // This client never answers the close: the slot is back once the close timeout gave up on it.
    await within(client.closed, WS_CLOSE_TIMEOUT_MS + SLACK_MS, 'the silent WebSocket to be cut')
    await connectionsReach(server.sluice, 0, SLACK_MS, 'the silent WebSocket to be released')
    figures.add(
      `| a WebSocket message, a byte every ${DRIBBLE_MS} ms | idle ${IDLE_TIMEOUT_MS} ms + close ${WS_CLOSE_TIMEOUT_MS} ms | ` +
        `4408 after ${ms(closedAfter)}, slot free after ${ms(performance.now() - upgradedAt)} |`,
    )
    expect(client.text).not.toContain('"pong"')
  })

  it('an SSE stream and a WebSocket outlive every request timeout: they are responses, not requests', async () => {
    server = await start()
    const stream = await openSse(`${server.url}/sse?${sseQuery}`)
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws?v=1`)
    cleanups.push(() => ws.terminate())
    const wsFrames: ServerFrame[] = []
    ws.on('message', (data) => wsFrames.push(JSON.parse(data.toString()) as ServerFrame))
    await within(new Promise((resolve) => ws.once('open', resolve)), 5_000, 'the WebSocket to open')
    ws.send(JSON.stringify({ type: 'subscribe', topic: 'news' }))
    // Absence can only be shown by waiting: three request budgets (with their checks), after
    // which any timeout that applied to these would have cut them.
    await new Promise<void>((resolve) => setTimeout(resolve, 3 * HARDEN.requestTimeoutMs))
    await server.sluice.publish('news', { kind: 'created', key: 'late' })
    await stream.frame(
      (f) => f.type === 'event' && f.key === 'late',
      5_000,
      'the SSE event after the budgets',
    )
    await within(
      new Promise<void>((resolve) => {
        const check = () =>
          wsFrames.some((f) => f.type === 'event' && f.key === 'late') ? resolve() : setTimeout(check, 5)
        check()
      }),
      5_000,
      'the WebSocket event after the budgets',
    )
    expect(server.sluice.stats().connections).toBe(2)
  })

  it(`${ATTACKERS} dribbling clients hold no Sluice slot: well-behaved clients get in and receive during the attack`, async () => {
    // Two slots, both for the well-behaved clients: any slot taken by an attacker would refuse one.
    server = await start(2, {
      ...HARDEN,
      headersTimeoutMs: ATTACK_HEADERS_MS,
      requestTimeoutMs: Math.max(HARDEN.requestTimeoutMs, ATTACK_HEADERS_MS),
    })
    const attackers: RawSocket[] = []
    const kinds = Object.values(requests)
    for (let i = 0; i < ATTACKERS; i++) {
      const client = await raw(server.port)
      client.dribble((kinds[i % kinds.length] as string).slice(0, -2), DRIBBLE_MS)
      attackers.push(client)
    }
    expect(await server.openSockets()).toBe(ATTACKERS)
    const stream = await openSse(`${server.url}/sse?${sseQuery}`)
    await stream.frame((f) => f.type === 'subscribed', 5_000, 'the SSE subscription during the attack')
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws?v=1`)
    cleanups.push(() => ws.terminate())
    await within(
      new Promise((resolve) => ws.once('open', resolve)),
      5_000,
      'the WebSocket to open during the attack',
    )
    await server.sluice.publish('news', { kind: 'created', key: 'during' })
    await stream.frame((f) => f.type === 'event' && f.key === 'during', 5_000, 'the event during the attack')
    const ends = await within(
      Promise.all(attackers.map((client) => client.closed)),
      ATTACK_HEADERS_MS + 2 * SLACK_MS,
      'every attacker to be cut',
    )
    expect(ends.map((end) => httpAnswer(end.text).status)).toEqual(attackers.map(() => 408))
    const last = Math.max(...ends.map((end) => end.afterMs))
    // Only the two well-behaved connections are left, on the server and in Sluice.
    await server.socketsReach(2, SLACK_MS, "the attackers' sockets to be released")
    expect(server.sluice.stats().connections).toBe(2)
    figures.add(
      `| ${ATTACKERS} clients dribbling SSE and WS headers at once, maxConnections 2 | headers ${ATTACK_HEADERS_MS} ms | ` +
        `all 408, the slowest cut after ${ms(last)}; sockets held ${ATTACKERS} → 2 (the well-behaved ones), ` +
        'who got both slots and their events meanwhile |',
    )
  })
})
