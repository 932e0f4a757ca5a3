import { createServer, type Server } from 'node:http'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createSluiceServer } from '../server'
import { DEFAULT_HARDEN_OPTIONS, hardenHttpServer } from './harden'

// Node's HTTP timeouts run on real timers inside its parser bookkeeping, which fake timers do
// not drive: these use budgets of a few hundred ms and assert the closing time against them.

const servers: Server[] = []
const sockets: Socket[] = []
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        }),
    ),
  )
})

async function listen(server: Server): Promise<number> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

/** A raw client: everything the server sent, and how long after connecting it closed the socket. */
function rawClient(port: number): { socket: Socket; closed: Promise<{ text: string; afterMs: number }> } {
  const socket = connect(port, '127.0.0.1')
  sockets.push(socket)
  const started = performance.now()
  let text = ''
  socket.on('data', (chunk) => {
    text += chunk.toString('latin1')
  })
  socket.on('error', () => {})
  const closed = new Promise<{ text: string; afterMs: number }>((resolve) =>
    socket.on('close', () => resolve({ text, afterMs: performance.now() - started })),
  )
  return { socket, closed }
}

/** The status line and the JSON body of a raw HTTP answer. */
function answerOf(text: string): { status: string; body: unknown } {
  const [head = '', body = ''] = text.split('\r\n\r\n')
  return { status: head.split('\r\n')[0] ?? '', body: body === '' ? undefined : JSON.parse(body) }
}

const fast = { headersTimeoutMs: 200, requestTimeoutMs: 400, checkIntervalMs: 20 }
// How late past its budget a timeout may close a socket on a loaded machine: a check interval
// plus scheduling noise. Node's defaults (a 30 s check) would miss it by seconds.
const SLACK_MS = 300

describe('hardenHttpServer', () => {
  it('sets the default timeouts and returns the same server', () => {
    const server = createServer()
    expect(hardenHttpServer(server)).toBe(server)
    expect(DEFAULT_HARDEN_OPTIONS).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      checkIntervalMs: 1_000,
    })
    expect([server.headersTimeout, server.requestTimeout]).toEqual([10_000, 30_000])
    expect(Reflect.get(server, 'connectionsCheckingInterval')).toBe(1_000)
  })

  it('refuses budgets that cannot work, naming the option', async () => {
    expect(() => hardenHttpServer(createServer(), { headersTimeoutMs: 0 })).toThrow(
      new RangeError('hardenHttpServer: headersTimeoutMs must be a positive number of ms, received 0'),
    )
    expect(() =>
      hardenHttpServer(createServer(), { headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 }),
    ).toThrow(
      new RangeError('hardenHttpServer: requestTimeoutMs (1000) must be at least headersTimeoutMs (5000)'),
    )
    // Without a request budget, the default grows to cover a longer header budget.
    const patient = hardenHttpServer(createServer(), { headersTimeoutMs: 60_000 })
    expect([patient.headersTimeout, patient.requestTimeout]).toEqual([60_000, 60_000])
    const listening = createServer()
    await listen(listening)
    expect(() => hardenHttpServer(listening)).toThrow(
      'hardenHttpServer: the server is listening already; call it before listen(), where Node starts its timeout checks',
    )
  })

  it('answers 408 IDLE_TIMEOUT and closes a connection whose headers do not arrive in time', async () => {
    const port = await listen(hardenHttpServer(createServer(), fast))
    const silent = rawClient(port)
    const dribbling = rawClient(port)
    const request = 'GET / HTTP/1.1\r\nHost: x\r\n'
    let sent = 0
    const timer = setInterval(() => dribbling.socket.write(request[sent++ % request.length] as string), 10)
    const [quiet, slow] = await Promise.all([silent.closed, dribbling.closed])
    clearInterval(timer)
    for (const { text, afterMs } of [quiet, slow]) {
      expect(answerOf(text)).toEqual({
        status: 'HTTP/1.1 408 Request Timeout',
        body: { type: 'error', code: 'IDLE_TIMEOUT', message: 'the request did not arrive in time' },
      })
      expect(afterMs).toBeGreaterThanOrEqual(fast.headersTimeoutMs - 5)
      expect(afterMs).toBeLessThan(fast.headersTimeoutMs + SLACK_MS)
    }
  })

  it('answers 408 to a body that trickles in past requestTimeoutMs', async () => {
    const port = await listen(
      hardenHttpServer(
        createServer((req, res) => {
          req.resume()
          req.on('end', () => res.end('late'))
        }),
        fast,
      ),
    )
    const client = rawClient(port)
    client.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n')
    const timer = setInterval(() => client.socket.write('a'), 10)
    const { text, afterMs } = await client.closed
    clearInterval(timer)
    expect(answerOf(text).status).toBe('HTTP/1.1 408 Request Timeout')
    expect(afterMs).toBeGreaterThanOrEqual(fast.requestTimeoutMs - 5)
    expect(afterMs).toBeLessThan(fast.requestTimeoutMs + SLACK_MS)
  })

  it('answers what the parser refuses with an error body: 400 BAD_REQUEST, 413 LIMIT_EXCEEDED', async () => {
    const port = await listen(
      hardenHttpServer(createServer({ maxHeaderSize: 1024 }, (_req, res) => res.end())),
    )
    const garbage = rawClient(port)
    garbage.socket.write('NOT HTTP\r\n\r\n')
    expect(answerOf((await garbage.closed).text)).toEqual({
      status: 'HTTP/1.1 400 Bad Request',
      body: { type: 'error', code: 'BAD_REQUEST', message: 'the request is not valid HTTP' },
    })
    const huge = rawClient(port)
    huge.socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(2048)}\r\n\r\n`)
    expect(answerOf((await huge.closed).text)).toEqual({
      status: 'HTTP/1.1 413 Payload Too Large',
      body: { type: 'error', code: 'LIMIT_EXCEEDED', message: 'the request headers are too large' },
    })
  })

  it('never answers in the middle of a response already started on the socket', async () => {
    const port = await listen(
      hardenHttpServer(
        createServer((_req, res) => {
          res.writeHead(200, { 'content-type': 'text/event-stream' })
          res.write(': open\n\n')
        }),
      ),
    )
    const client = rawClient(port)
    client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await new Promise<void>((resolve) => client.socket.once('data', () => resolve()))
    // Garbage pipelined behind a streaming response: the parser refuses it, and the only
    // honest answer left is to cut the connection.
    client.socket.write('NOT HTTP\r\n\r\n')
    const { text } = await client.closed
    expect(text.match(/HTTP\/1\.1 /g)).toEqual(['HTTP/1.1 '])
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(text).toMatch(/: open\n\n/)
  })

  it("leaves an app's own clientError listener to answer", async () => {
    const server = createServer()
    server.on('clientError', (_error, socket) =>
      socket.end('HTTP/1.1 400 Bad Request\r\nX-App: mine\r\n\r\n'),
    )
    const port = await listen(hardenHttpServer(server))
    const client = rawClient(port)
    client.socket.write('NOT HTTP\r\n\r\n')
    expect((await client.closed).text).toBe('HTTP/1.1 400 Bad Request\r\nX-App: mine\r\n\r\n')
  })

  it('is applied by SluiceServer.listen()', async () => {
    const sluice = createSluiceServer({ logger: false })
    const { port } = await sluice.listen(0)
    try {
      const client = rawClient(port)
      client.socket.write('NOT HTTP\r\n\r\n')
      expect(answerOf((await client.closed).text).body).toEqual({
        type: 'error',
        code: 'BAD_REQUEST',
        message: 'the request is not valid HTTP',
      })
    } finally {
      await sluice.close({ retryAfterMs: 0 })
    }
  })
})
