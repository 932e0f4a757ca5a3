import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import { type ErrorFrame, httpStatusFor, type WireErrorCode } from '@sluice/protocol'

/** Options of {@link hardenHttpServer}. */
export interface HardenOptions {
  /**
   * A request's headers must have arrived this long after its first byte (or after the
   * connection opened): a client that sends them a byte at a time, or nothing at all, is
   * answered `408 IDLE_TIMEOUT` and cut. Covers SSE connects and WebSocket upgrades alike.
   * @default 10_000
   */
  headersTimeoutMs?: number
  /**
   * A whole request, body included, must have arrived this long after it started: command
   * POSTs and publish bodies (at most `limits.maxFrameBytes`) that trickle in are answered `408
   * IDLE_TIMEOUT` and cut. A request is complete once its body is, so an SSE stream (a GET
   * without a body) and a WebSocket live on: this bounds receiving, never responding. At
   * least `headersTimeoutMs`.
   * @default 30_000
   */
  requestTimeoutMs?: number
  /**
   * How often Node checks those two timeouts. Node's own 30 s would let a 10 s header budget
   * stretch to 40 s; the check only walks connections whose request is still incomplete.
   * @default 1_000
   */
  checkIntervalMs?: number
}

/** What {@link hardenHttpServer} applies when given no options. */
export const DEFAULT_HARDEN_OPTIONS: Readonly<Required<HardenOptions>> = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  checkIntervalMs: 1_000,
})

function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`hardenHttpServer: ${name} must be a positive number of ms, received ${value}`)
  }
  return value
}

/**
 * Sets the timeouts that keep slow clients (slowloris) from holding sockets on a node:http
 * server, and answers what Node's HTTP parser refuses with an error body like every other
 * Sluice refusal (`{type:'error', code, message}`): a timeout `408 IDLE_TIMEOUT`, headers over
 * `maxHeaderSize` `413 LIMIT_EXCEEDED`, anything unparsable `400 BAD_REQUEST`. When the server
 * already has a `clientError` listener, that one keeps answering and none is added.
 *
 * `SluiceServer.listen()` and `sluice-server` apply it with the defaults; an app that embeds
 * Sluice in its own server calls it once, before `listen`. It changes the whole server, so the
 * app's own routes get the same limits.
 *
 * @example
 * import { createServer } from 'node:http'
 * import { createSluiceServer, hardenHttpServer } from '@sluice/server-node'
 *
 * const sluice = createSluiceServer()
 * const http = hardenHttpServer(createServer((req, res) => sluice.handler(req, res)))
 * sluice.attach(http)
 * http.listen(8080)
 *
 * @param server a node:http or node:https server that is not listening yet (the check interval
 *   only takes effect when it starts listening)
 * @param options the timeouts; see {@link DEFAULT_HARDEN_OPTIONS}
 * @returns the same server
 */
export function hardenHttpServer<S extends Server | HttpsServer>(server: S, options: HardenOptions = {}): S {
  const headersTimeoutMs = positive(
    'headersTimeoutMs',
    options.headersTimeoutMs ?? DEFAULT_HARDEN_OPTIONS.headersTimeoutMs,
  )
  const requestTimeoutMs = positive(
    'requestTimeoutMs',
    options.requestTimeoutMs ?? Math.max(DEFAULT_HARDEN_OPTIONS.requestTimeoutMs, headersTimeoutMs),
  )
  const checkIntervalMs = positive(
    'checkIntervalMs',
    options.checkIntervalMs ?? DEFAULT_HARDEN_OPTIONS.checkIntervalMs,
  )
  // Node refuses the same combination at createServer: a request cannot finish before its headers.
  if (requestTimeoutMs < headersTimeoutMs) {
    throw new RangeError(
      `hardenHttpServer: requestTimeoutMs (${requestTimeoutMs}) must be at least headersTimeoutMs (${headersTimeoutMs})`,
    )
  }
  if (server.listening) {
    throw new Error(
      'hardenHttpServer: the server is listening already; call it before listen(), where Node starts its timeout checks',
    )
  }
  server.headersTimeout = headersTimeoutMs
  server.requestTimeout = requestTimeoutMs
  // The createServer option of the same name, as a property: Node reads it when the server
  // starts listening (its check is armed on 'listening'). @types/node does not declare it; the
  // harden tests time a real timeout, so a Node that stopped reading it fails them.
  Object.assign(server, { connectionsCheckingInterval: checkIntervalMs })
  if (server.listenerCount('clientError') === 0) answerClientErrors(server)
  return server
}

/** The wire code for an error Node's HTTP layer raises before a request reaches a handler. */
function codeOf(error: NodeJS.ErrnoException): WireErrorCode {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'IDLE_TIMEOUT'
    case 'HPE_HEADER_OVERFLOW':
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 'LIMIT_EXCEEDED'
    default:
      return 'BAD_REQUEST'
  }
}

const MESSAGES: Partial<Record<WireErrorCode, string>> = {
  IDLE_TIMEOUT: 'the request did not arrive in time',
  LIMIT_EXCEEDED: 'the request headers are too large',
  BAD_REQUEST: 'the request is not valid HTTP',
}

function answerClientErrors(server: Server | HttpsServer): void {
  // Responses started on each socket, so that an answer never lands in the middle of one (a
  // garbage request pipelined behind an SSE stream, a body that times out after a handler
  // already answered): Node's own handler asks the socket for this, but only privately.
  const started = new WeakMap<Duplex, Set<ServerResponse>>()
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket
    let responses = started.get(socket)
    if (responses === undefined) {
      responses = new Set()
      started.set(socket, responses)
    }
    const set = responses
    set.add(res)
    res.once('close', () => set.delete(res))
  })
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const responding = [...(started.get(socket) ?? [])].some((res) => res.headersSent)
    if (error.code === 'ECONNRESET' || !socket.writable || responding) {
      socket.destroy()
      return
    }
    const code = codeOf(error)
    const status = httpStatusFor(code)
    const body = JSON.stringify({ type: 'error', code, message: MESSAGES[code] ?? code } satisfies ErrorFrame)
    // Written, then destroyed as Node does: a client that stopped reading must not keep the
    // socket open by never taking the answer.
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
        'Connection: close\r\n' +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
    socket.destroy()
  })
}
