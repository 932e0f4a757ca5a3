// What the server logs when it turns a client away: each refused connect, command POST and
// publish once (info, warn when it is the server that cannot serve, debug for malformed input),
// each protocol error of an open connection once at debug, never a credential. The logger is a
// pino logger writing to memory, so the lines are checked exactly as an operator would read them.
import { pino } from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ServerError } from '../src/server-error'
import { createTestServer, type TestServer } from '../src/testing'
import { ofType, postCommands, SsePeer, WsPeer } from './helpers'

const ALLOWED = 'https://app.example.com'
const REFUSED = 'https://evil.example'
// Every credential the tests send contains this; none may reach a log line.
const SECRET = 'secret-'

let t: TestServer | undefined
const closers: Array<() => unknown> = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
  await t?.close()
  t = undefined
})

/** A server logging at debug to memory; `lines(prefix)` are the parsed lines whose msg starts with it. */
async function start(options: Parameters<typeof createTestServer>[0] = {}) {
  const raw: string[] = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => void raw.push(line) })
  t = await createTestServer({
    allowedOrigins: [ALLOWED],
    publishKeys: [`${SECRET}publish-key`],
    authenticate: ({ token }) => {
      if (token !== `${SECRET}good`) throw new ServerError('UNAUTHORIZED', 'invalid token')
      return { id: 'u1' }
    },
    logger,
    ...options,
  })
  const lines = (prefix: string) =>
    raw
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => String(line.msg).startsWith(prefix))
      .map(({ time: _time, pid: _pid, hostname: _hostname, ...rest }) => rest)
  return { server: t, raw, lines }
}

/** The HTTP status a refused WebSocket upgrade was answered with. */
async function refusedUpgrade(
  url: string,
  query: string,
  options: { origin?: string } = {},
): Promise<number> {
  const error = await WsPeer.connect(url, query, options).then(
    (peer) => {
      peer.ws.terminate()
      throw new Error(`the upgrade ${query} was accepted`)
    },
    (e: { status: number }) => e,
  )
  return error.status
}

const refusal = (fields: Record<string, unknown>) => ({
  remoteAddress: '127.0.0.1',
  ...fields,
})

describe('refused requests', () => {
  it('are logged once each, with code, reason, transport, path, address and origin, and no credential', async () => {
    const { server, raw, lines } = await start()
    expect(await refusedUpgrade(server.url, `v=1&token=${SECRET}ws`, { origin: REFUSED })).toBe(403)
    const sse = await SsePeer.open(server.url, 'v=1', { authorization: `Bearer ${SECRET}sse` })
    expect(sse.response.status).toBe(401)
    const { peer, welcome } = await SsePeer.open(server.url, 'v=1', { authorization: `Bearer ${SECRET}good` })
    closers.push(() => peer?.close())
    const commands = await postCommands(
      server.url,
      { connectionId: welcome?.connectionId as string, commandKey: `${SECRET}wrong-key` },
      { type: 'ping' },
    )
    expect(commands.status).toBe(403)
    const publish = await fetch(`${server.url}/publish?token=${SECRET}query`, {
      method: 'POST',
      headers: { origin: ALLOWED },
      body: JSON.stringify({ topic: 't', kind: 'created' }),
    })
    expect(publish.status).toBe(401)
    const version = await SsePeer.open(server.url, `v=9&token=${SECRET}v`)
    expect(version.response.status).toBe(400)

    expect(lines('refused:')).toEqual([
      refusal({
        level: 30,
        code: 'FORBIDDEN',
        status: 403,
        transport: 'ws',
        method: 'GET',
        path: '/realtime/ws',
        origin: REFUSED,
        msg: 'refused: this origin is not allowed',
      }),
      refusal({
        level: 30,
        code: 'UNAUTHORIZED',
        status: 401,
        transport: 'sse',
        method: 'GET',
        path: '/realtime/sse',
        msg: 'refused: invalid token',
      }),
      refusal({
        level: 30,
        code: 'FORBIDDEN',
        status: 403,
        transport: 'sse',
        method: 'POST',
        path: '/realtime/sse/commands',
        msg: 'refused: the sluice-key header does not match the stream',
      }),
      refusal({
        level: 30,
        code: 'UNAUTHORIZED',
        status: 401,
        transport: 'http',
        method: 'POST',
        path: '/realtime/publish',
        origin: ALLOWED,
        msg: 'refused: invalid token',
      }),
      refusal({
        level: 30,
        code: 'PROTOCOL_VERSION',
        status: 400,
        transport: 'sse',
        method: 'GET',
        path: '/realtime/sse',
        msg: 'refused: protocol version "9" is not supported (this server speaks 1)',
      }),
    ])
    expect(raw.join('')).not.toContain(SECRET)
  })

  it('a wrong admin key: info, readable by the allowed origin, the key never in the log', async () => {
    const { server, raw, lines } = await start({ adminKeys: [`${SECRET}admin-key`] })
    const answer = await fetch(`${server.url}/admin/topics`, {
      headers: { authorization: `Bearer ${SECRET}admin-guess`, origin: ALLOWED },
    })
    expect(answer.status).toBe(401)
    expect(answer.headers.get('access-control-allow-origin')).toBe(ALLOWED)
    expect(lines('refused:')).toEqual([
      refusal({
        level: 30,
        code: 'UNAUTHORIZED',
        status: 401,
        transport: 'http',
        method: 'GET',
        path: '/realtime/admin/topics',
        origin: ALLOWED,
        msg: `refused: ${((await answer.json()) as { message: string }).message}`,
      }),
    ])
    expect(raw.join('')).not.toContain(SECRET)
  })

  it('at the connection limit: warn (the server could not serve)', async () => {
    const { server, lines } = await start({ maxConnections: 1 })
    const { peer } = await WsPeer.open(server.url, `v=1&token=${SECRET}good`)
    closers.push(() => peer.close())
    expect(await refusedUpgrade(server.url, `v=1&token=${SECRET}good`)).toBe(503)
    expect(lines('refused:')).toEqual([
      refusal({
        level: 40,
        code: 'OVERLOADED',
        status: 503,
        transport: 'ws',
        method: 'GET',
        path: '/realtime/ws',
        msg: 'refused: the server is at its connection limit; try again later',
      }),
    ])
  })

  it('at the connection limit: one warn line a second, the next one counting those left out', async () => {
    let now = 1_000_000
    vi.spyOn(Date, 'now').mockImplementation(() => now)
    const { server, lines } = await start({ maxConnections: 1 })
    const { peer } = await WsPeer.open(server.url, `v=1&token=${SECRET}good`)
    closers.push(() => peer.close())
    for (let n = 0; n < 5; n++) expect(await refusedUpgrade(server.url, `v=1&token=${SECRET}good`)).toBe(503)
    expect(lines('refused:').map((line) => line.suppressed)).toEqual([undefined])
    now += 999
    expect(await refusedUpgrade(server.url, `v=1&token=${SECRET}good`)).toBe(503)
    expect(lines('refused:')).toHaveLength(1)
    now += 1
    expect(await refusedUpgrade(server.url, `v=1&token=${SECRET}good`)).toBe(503)
    expect(lines('refused:').map((line) => [line.level, line.code, line.suppressed])).toEqual([
      [40, 'OVERLOADED', undefined],
      [40, 'OVERLOADED', 5],
    ])
  })

  it('malformed input at connect is a protocol error: debug', async () => {
    const { server, lines } = await start()
    const opened = await SsePeer.open(server.url, `v=1&subscriptions=%7B&token=${SECRET}good`)
    expect(opened.response.status).toBe(400)
    expect(lines('refused:')).toEqual([
      refusal({
        level: 20,
        code: 'BAD_REQUEST',
        status: 400,
        transport: 'sse',
        method: 'GET',
        path: '/realtime/sse',
        msg: `refused: ${(opened.body as { message: string }).message}`,
      }),
    ])
  })
})

describe('protocol errors of an open connection', () => {
  it('are logged once each at debug, whatever their number, never at info or warn', async () => {
    const { server, raw, lines } = await start()
    const { peer, welcome } = await WsPeer.open(server.url, `v=1&token=${SECRET}good`)
    closers.push(() => peer.close())
    peer.send('{not json')
    peer.send({ type: 'teleport', id: 'a1' } as never)
    peer.send([{ type: 'subscribe', id: 's1', topic: 7 }] as never)
    for (let n = 0; n < 3; n++) await peer.next(ofType('error'))
    const connection = { connectionId: welcome.connectionId, transport: 'ws', remoteAddress: '127.0.0.1' }
    const [malformed, unknown, badTopic] = peer.frames.filter((f) => f.type === 'error') as Array<{
      message: string
    }>
    expect(lines('protocol error:')).toEqual([
      { level: 20, code: 'BAD_REQUEST', ...connection, msg: `protocol error: ${malformed?.message}` },
      {
        level: 20,
        code: 'UNKNOWN_FRAME',
        field: 'type',
        ...connection,
        msg: `protocol error: ${unknown?.message}`,
      },
      {
        level: 20,
        code: 'BAD_REQUEST',
        field: 'topic',
        ...connection,
        msg: `protocol error: ${badTopic?.message}`,
      },
    ])
    const loud = raw.map((line) => JSON.parse(line) as { level: number }).filter((line) => line.level >= 30)
    expect(loud).toEqual([])
    expect(raw.join('')).not.toContain(SECRET)
  })

  it('a binary WebSocket message: logged at debug, then the connection is closed with 4400', async () => {
    const { server, lines } = await start()
    const { peer, welcome } = await WsPeer.open(server.url, `v=1&token=${SECRET}good`)
    peer.ws.send(Buffer.from([1, 2, 3]))
    expect(await peer.closed).toEqual({ code: 4400, reason: 'BAD_REQUEST' })
    expect(lines('protocol error:')).toEqual([
      {
        level: 20,
        code: 'BAD_REQUEST',
        connectionId: welcome.connectionId,
        transport: 'ws',
        remoteAddress: '127.0.0.1',
        msg: 'protocol error: binary messages are not part of the protocol',
      },
    ])
  })
})
