// Refusals a browser can read: every error answer of a realtime endpoint carries the CORS
// headers of the origin that asked (an allowed origin as always, a refused one on the refusal
// only), so a page learns FORBIDDEN instead of "Failed to fetch"; and the SSE connect checks run
// in PROTOCOL.md's order, the version before the origin, as a WebSocket upgrade's do.
import { type IncomingHttpHeaders, request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { ServerError } from '../src/server-error'
import { createTestServer, type TestServer } from '../src/testing'
import { SsePeer } from './helpers'

const ALLOWED = 'https://app.example.com'
const REFUSED = 'https://evil.example'

let t: TestServer | undefined
const peers: SsePeer[] = []
afterEach(async () => {
  await Promise.all(peers.splice(0).map((peer) => peer.close()))
  await t?.close()
  t = undefined
})

async function start(options: Parameters<typeof createTestServer>[0] = {}): Promise<TestServer> {
  t = await createTestServer({
    allowedOrigins: [ALLOWED],
    authenticate: ({ token }) => {
      if (token !== 'good') throw new ServerError('UNAUTHORIZED', 'invalid token')
      return { id: 'u1' }
    },
    ...options,
  })
  return t
}

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: unknown
}

/** One request on a fresh connection; the answer with its body parsed when it is JSON. */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const { port } = t as TestServer
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
      })
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text === '' ? undefined : JSON.parse(text),
        }),
      )
    })
    req.on('error', reject)
    req.end(body)
  })
}

const UPGRADE = {
  connection: 'Upgrade',
  upgrade: 'websocket',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'sec-websocket-version': '13',
}

/** The CORS headers of an answer, as a browser would weigh them. */
const cors = (answer: Answer) => ({
  'access-control-allow-origin': answer.headers['access-control-allow-origin'],
  'access-control-allow-credentials': answer.headers['access-control-allow-credentials'],
  vary: answer.headers.vary,
})

const readableBy = (origin: string) => ({
  'access-control-allow-origin': origin,
  'access-control-allow-credentials': 'true',
  vary: 'Origin',
})

const NO_CORS = {
  'access-control-allow-origin': undefined,
  'access-control-allow-credentials': undefined,
  vary: undefined,
}

const error = (code: string, message: string, extra: Record<string, unknown> = {}) => ({
  type: 'error',
  code,
  message,
  ...extra,
})

describe('refusals from an allowed origin carry its CORS headers', () => {
  it('on the SSE stream: version, credentials, capacity', async () => {
    await start({ maxConnections: 1 })
    const version = await send('GET', '/realtime/sse?v=2', { origin: ALLOWED })
    expect([version.status, version.body, cors(version)]).toEqual([
      400,
      error('PROTOCOL_VERSION', 'protocol version "2" is not supported (this server speaks 1)'),
      readableBy(ALLOWED),
    ])
    const token = await send('GET', '/realtime/sse?v=1&token=bad', { origin: ALLOWED })
    expect([token.status, token.body, cors(token)]).toEqual([
      401,
      error('UNAUTHORIZED', 'invalid token'),
      readableBy(ALLOWED),
    ])
    const opened = await SsePeer.open((t as TestServer).url, 'v=1&token=good')
    peers.push(opened.peer as SsePeer)
    const full = await send('GET', '/realtime/sse?v=1&token=good', { origin: ALLOWED })
    expect([full.status, full.body, full.headers['retry-after'], cors(full)]).toEqual([
      503,
      error('OVERLOADED', 'the server is at its connection limit; try again later', { retryAfterMs: 1000 }),
      '1',
      readableBy(ALLOWED),
    ])
  })

  it('on the command channel and publish', async () => {
    await start({ publishKeys: ['publish-key'] })
    const commands = await send(
      'POST',
      '/realtime/sse/commands',
      { origin: ALLOWED, 'sluice-connection': 'nope', 'sluice-key': 'k' },
      '{"type":"ping"}',
    )
    expect([commands.status, commands.body, cors(commands)]).toEqual([
      404,
      error('NOT_FOUND', 'no open SSE stream has this sluice-connection id'),
      readableBy(ALLOWED),
    ])
    const publish = await send(
      'POST',
      '/realtime/publish',
      { origin: ALLOWED, authorization: 'Bearer wrong' },
      '{"topic":"t","kind":"created"}',
    )
    expect([publish.status, publish.body, cors(publish)]).toEqual([
      401,
      error('UNAUTHORIZED', 'invalid token'),
      readableBy(ALLOWED),
    ])
  })

  it('on a refused WebSocket upgrade', async () => {
    await start()
    const version = await send('GET', '/realtime/ws?v=2', { ...UPGRADE, origin: ALLOWED })
    expect([version.status, version.body, cors(version)]).toEqual([
      400,
      error('PROTOCOL_VERSION', 'protocol version "2" is not supported (this server speaks 1)'),
      readableBy(ALLOWED),
    ])
    const token = await send('GET', '/realtime/ws?v=1&token=bad', { ...UPGRADE, origin: ALLOWED })
    expect([token.status, token.body, cors(token)]).toEqual([
      401,
      error('UNAUTHORIZED', 'invalid token'),
      readableBy(ALLOWED),
    ])
  })
})

describe('a refused origin', () => {
  const FORBIDDEN = error('FORBIDDEN', 'this origin is not allowed')

  it('reads the 403 FORBIDDEN of every realtime endpoint, which never runs for it', async () => {
    let authenticated = 0
    await start({
      publishKeys: ['publish-key'],
      authenticate: () => {
        authenticated++
        return { id: 'u1' }
      },
    })
    const answers = [
      await send('GET', '/realtime/sse?v=1&token=good', { origin: REFUSED }),
      await send('GET', '/realtime/ws?v=1&token=good', { ...UPGRADE, origin: REFUSED }),
      await send('POST', '/realtime/sse/commands', { origin: REFUSED, 'sluice-connection': 'x' }, '{}'),
      await send(
        'POST',
        '/realtime/publish',
        { origin: REFUSED, authorization: 'Bearer publish-key' },
        '{"topic":"t","kind":"created"}',
      ),
    ]
    for (const answer of answers) {
      expect([answer.status, answer.body, cors(answer)]).toEqual([403, FORBIDDEN, readableBy(REFUSED)])
    }
    expect(authenticated).toBe(0)
    expect((t as TestServer).server.stats()).toMatchObject({ connections: 0, eventsPublished: 0 })
  })

  it('gets 400 PROTOCOL_VERSION before 403 on SSE, as on WebSocket (the spec checks the version first)', async () => {
    await start()
    for (const path of ['/realtime/sse?v=2', '/realtime/sse']) {
      const sse = await send('GET', path, { origin: REFUSED })
      const ws = await send('GET', path.replace('/sse', '/ws'), { ...UPGRADE, origin: REFUSED })
      for (const answer of [sse, ws]) {
        expect([answer.status, (answer.body as { code: string }).code, cors(answer)]).toEqual([
          400,
          'PROTOCOL_VERSION',
          readableBy(REFUSED),
        ])
      }
    }
  })

  it("passes the SSE stream's preflight, so that the stream's own 403 reaches the page", async () => {
    await start()
    const preflight = await send('OPTIONS', '/realtime/sse', {
      origin: REFUSED,
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'authorization',
    })
    expect(preflight.status).toBe(204)
    expect(preflight.body).toBeUndefined()
    expect(preflight.headers).toMatchObject({
      ...readableBy(REFUSED),
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers':
        'authorization, content-type, last-event-id, sluice-connection, sluice-key',
    })
    const stream = await send('GET', '/realtime/sse?v=1', { origin: REFUSED, authorization: 'Bearer good' })
    expect([stream.status, stream.body, cors(stream)]).toEqual([403, FORBIDDEN, readableBy(REFUSED)])
  })

  it('is refused the preflight of every other endpoint, as before', async () => {
    await start()
    for (const path of ['/realtime/sse/commands', '/realtime/publish']) {
      const preflight = await send('OPTIONS', path, {
        origin: REFUSED,
        'access-control-request-method': 'POST',
      })
      expect([preflight.status, preflight.body, cors(preflight)]).toEqual([403, FORBIDDEN, NO_CORS])
    }
  })
})

it('a refusal without an Origin (a server, a CLI) carries no CORS headers', async () => {
  await start()
  const sse = await send('GET', '/realtime/sse?v=1&token=bad')
  const ws = await send('GET', '/realtime/ws?v=1&token=bad', UPGRADE)
  for (const answer of [sse, ws]) {
    expect([answer.status, cors(answer)]).toEqual([401, NO_CORS])
  }
})
