import { type IncomingMessage, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { httpStatusFor, type ProtocolError } from '@sluice/protocol'
import { type RawData, type ServerOptions, WebSocket, WebSocketServer, type Server as WsServer } from 'ws'
import { Connection } from '../core/connection'
import { errorFrameFor } from '../core/errors'
import type { Runtime } from '../core/runtime'
import { type Sink, wsWriter } from '../core/sink'
import { encodeTextFrame } from '../core/ws-frame'
import { type Admission, admit } from '../http/connect'
import { refusalCorsLines } from '../http/cors'
import { requestUrl } from '../http/http-request'
import { NodeRequest } from '../http/node-request'
import { logProtocolError, logRefusal } from '../observability/refusal-log'
import type { ServerError } from '../server-error'

const { OPEN } = WebSocket

/**
 * How long a close waits for the peer's close frame before the socket is destroyed. A peer that
 * reads answers within a round trip; one that does not (a slow consumer whose close frame sits
 * behind the bytes it stopped reading, a dead peer closed for idleness) would otherwise hold its
 * socket and its maxConnections slot for ws's default of 30 s.
 */
export const WS_CLOSE_TIMEOUT_MS = 2_000

// A server `ping` frame, framed once: it is written to every WebSocket each heartbeat.
const PING_FRAME = encodeTextFrame(JSON.stringify({ type: 'ping' }))

/**
 * The {@link Sink} of one WebSocket. Text goes through `ws`; a Buffer is a complete frame
 * shared by many sockets (see SharedFrame.wsFrame) and is written to the TCP socket as it is,
 * which saves `ws` a header, an options object and a two-chunk writev per socket. That is
 * sound because `ws` writes its own frames synchronously, in call order, to the same socket
 * as long as nothing makes its sender queue: permessage-deflate is off and no Blob is sent.
 */
class WsSink implements Sink {
  readonly transport = 'ws'
  /** How the server closed the socket, if it did: what the connection reports, whatever the peer answers. */
  ended: { code: number; reason: string } | undefined

  constructor(
    readonly ws: WebSocket,
    readonly socket: Duplex,
  ) {}

  send(payload: string | Buffer): void {
    if (typeof payload === 'string') this.ws.send(payload)
    // After close() the close frame must be the last: nothing may follow it.
    else if (this.ws.readyState === OPEN) this.socket.write(payload)
  }

  bufferedBytes(): number {
    return this.ws.bufferedAmount
  }

  heartbeat(): void {
    this.send(PING_FRAME)
    if (this.ws.readyState === OPEN) this.ws.ping()
  }

  close(code: number, reason: string): void {
    this.ended = { code, reason }
    this.ws.close(code, reason)
  }

  terminate(): void {
    this.ws.terminate()
  }
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}

/**
 * Answers an upgrade request with a plain HTTP error (an ErrorFrame body) and closes the socket.
 * With the request, the answer carries the CORS headers of a refusal (http/cors.ts
 * `exposeRefusal`) like every other refusal of a realtime endpoint, though a browser never shows
 * a page the status of a failed upgrade: a client learns it through its SSE fallback.
 */
export function rejectUpgrade(
  socket: Duplex,
  error: ServerError | ProtocolError,
  req?: IncomingMessage,
): void {
  const frame = errorFrameFor(error)
  const status = httpStatusFor(frame.code)
  const body = JSON.stringify(frame)
  const retry =
    frame.retryAfterMs === undefined ? '' : `Retry-After: ${Math.ceil(frame.retryAfterMs / 1000)}\r\n`
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      refusalCorsLines(req?.headers.origin) +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${retry}\r\n${body}`,
  )
}

/**
 * A `ws` socket that knows its connection, so that one set of listener functions serves every
 * socket instead of four closures per connection.
 */
class ConnectionSocket extends WebSocket {
  connection: Connection | undefined
}

// ws calls listeners with `this` set to the socket.
function connectionOf(ws: WebSocket): Connection {
  return (ws as ConnectionSocket).connection as Connection
}

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const connection = connectionOf(this)
  try {
    if (isBinary) {
      const message = 'binary messages are not part of the protocol'
      logProtocolError(connection.runtime.logger, connection, { type: 'error', code: 'BAD_REQUEST', message })
      connection.closeWithError('BAD_REQUEST', message)
      return
    }
    connection.handleText(textOf(data))
  } catch (error) {
    connection.runtime.report(error, { operation: 'message', connectionId: connection.id })
  }
}

function onPong(this: WebSocket): void {
  connectionOf(this).touch()
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  const connection = connectionOf(this)
  try {
    // A close the server started reports the server's code, as on SSE: a peer that never
    // answered it (WS_CLOSE_TIMEOUT_MS) would make it 1006.
    const ended = (connection.sink as WsSink).ended
    if (ended) connection.handleClosed(ended.code, ended.reason)
    else connection.handleClosed(code, reason.toString('utf8'))
  } catch (error) {
    connection.runtime.report(error, { operation: 'close', connectionId: connection.id })
  }
}

// ws emits 'error' for protocol violations (oversized frame → 1009, bad UTF-8 → 1007) and
// closes the socket itself; without a listener the error would crash the process.
function onError(this: WebSocket, error: Error): void {
  const connection = connectionOf(this)
  connection.runtime.logger.debug({ err: error, connectionId: connection.id }, 'websocket error')
}

/**
 * The WebSocket transport on `ws`: connect checks before the upgrade, one {@link Connection}
 * per socket, `maxPayload` = limits.maxFrameBytes (ws closes with 1009 past it), binary
 * messages closed with 4400, protocol pings for liveness.
 */
export class WsTransport {
  readonly #runtime: Runtime
  readonly #wss: WsServer<typeof ConnectionSocket>
  readonly #path: string

  constructor(runtime: Runtime) {
    this.#runtime = runtime
    this.#path = `${runtime.options.basePath}/ws`
    this.#wss = new WebSocketServer({
      WebSocket: ConnectionSocket,
      noServer: true,
      clientTracking: false,
      maxPayload: runtime.options.limits.maxFrameBytes,
      perMessageDeflate: false,
      // ws 8.23 (our minimum) takes closeTimeout; @types/ws 8.18 does not list it, hence the assertion.
      closeTimeout: WS_CLOSE_TIMEOUT_MS,
    } as ServerOptions<typeof ConnectionSocket>)
  }

  /** Whether an upgrade request is for this transport's path. */
  matches(req: IncomingMessage): boolean {
    return requestUrl({ target: req.url ?? '/' }).pathname === this.#path
  }

  /** Handles an upgrade request for `<basePath>/ws`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A client that resets during authenticate must not crash the process.
    const onEarlyError = (error: Error) => this.#runtime.logger.debug({ err: error }, 'upgrade socket error')
    socket.on('error', onEarlyError)
    const request = new NodeRequest(req)
    admit(this.#runtime, request, 'ws').then(
      (result) => {
        if (!result.ok) {
          logRefusal(this.#runtime.logger, request, 'ws', errorFrameFor(result.error))
          rejectUpgrade(socket, result.error, req)
          return
        }
        // ws completes the upgrade synchronously (no verifyClient) and registry.add follows in
        // the same tick, so the slot can be freed first; freeing it in the callback would leak
        // it whenever ws refuses a malformed handshake without calling back.
        result.admission.release()
        if (socket.destroyed) return
        this.#wss.handleUpgrade(req, socket, head, (ws) => {
          socket.off('error', onEarlyError)
          this.#open(ws, socket, req, result.admission)
        })
      },
      (error: unknown) => {
        this.#runtime.report(error, { operation: 'connect:ws' })
        socket.destroy()
      },
    )
  }

  #open(ws: ConnectionSocket, socket: Duplex, req: IncomingMessage, admission: Admission): void {
    const runtime = this.#runtime
    const connection = new Connection({
      runtime,
      writer: wsWriter,
      identity: admission.identity,
      request: admission.request,
      remoteAddress: req.socket.remoteAddress,
      idleTimeout: true,
      sink: new WsSink(ws, socket),
    })
    ws.connection = connection
    ws.on('message', onMessage)
    ws.on('pong', onPong)
    ws.on('close', onClose)
    ws.on('error', onError)
    connection.start(admission.subscriptions)
  }

  /** Stops accepting upgrades. */
  close(): void {
    this.#wss.close()
  }
}
