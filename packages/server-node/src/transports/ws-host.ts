import { Connection } from '../core/connection'
import type { Runtime } from '../core/runtime'
import { type FrameWriter, type Sink, wsWriter } from '../core/sink'
import { type Admission, admit } from '../http/connect'
import type { HttpReply, HttpRequest } from '../http/http-request'
import { sendRefusal } from '../http/respond'
import { logProtocolError } from '../observability/refusal-log'

/**
 * A WebSocket that a host runtime accepted for us (Bun's ServerWebSocket, Deno's WebSocket), as
 * the core needs it. Only text goes out: the host frames it (node's `ws` transport writes
 * ready-made frames to the TCP socket instead, which no host API allows).
 */
export interface HostWebSocket {
  send(text: string): void
  /** Bytes the host has not written to the network yet. */
  bufferedAmount(): number
  /** A protocol-level ping, where the host lets the server send one (Bun); else the host pings itself. */
  ping?(): void
  close(code: number, reason: string): void
  terminate(): void
}

// The server `ping` frame, as text: the host frames it.
const PING = JSON.stringify({ type: 'ping' })

/** WebSocket frames as text on a host socket: a shared frame is its JSON, encoded once for all. */
export const hostWsWriter: FrameWriter = { ...wsWriter, shared: (frame) => frame.json }

class HostWsSink implements Sink {
  readonly transport = 'ws'
  /** How the server closed the socket, if it did: what the connection reports, whatever the peer answers. */
  ended: { code: number; reason: string } | undefined

  constructor(readonly socket: HostWebSocket) {}

  send(payload: string | Buffer): void {
    // hostWsWriter writes text only; a Buffer here would be a frame in node's wire form.
    this.socket.send(typeof payload === 'string' ? payload : payload.toString('utf8'))
  }

  bufferedBytes(): number {
    return this.socket.bufferedAmount()
  }

  heartbeat(): void {
    this.socket.send(PING)
    this.socket.ping?.()
  }

  close(code: number, reason: string): void {
    this.ended = { code, reason }
    this.socket.close(code, reason)
  }

  terminate(): void {
    this.socket.terminate()
  }
}

/**
 * One admitted WebSocket on a host runtime, from the upgrade to the close: a host adapter
 * (transports/ws-bun.ts, transports/ws-deno.ts) forwards its socket's events here and the
 * session drives the runtime-independent {@link Connection}, as transports/ws.ts does for `ws`.
 * The connection slot stays reserved from the connect checks until the socket opens.
 */
export class HostWsSession {
  connection: Connection | undefined

  /**
   * @param idleTimeout close after idleTimeoutMs without inbound traffic: only where pongs
   *   reach us (Bun); a host that answers pings out of our sight (Deno) checks liveness itself
   */
  constructor(
    readonly runtime: Runtime,
    readonly admission: Admission,
    readonly remoteAddress: string | undefined,
    readonly idleTimeout: boolean,
  ) {}

  open(socket: HostWebSocket): void {
    const { runtime, admission } = this
    admission.release()
    const connection = new Connection({
      runtime,
      writer: hostWsWriter,
      identity: admission.identity,
      request: admission.request,
      remoteAddress: this.remoteAddress,
      idleTimeout: this.idleTimeout,
      sink: new HostWsSink(socket),
    })
    this.connection = connection
    connection.start(admission.subscriptions)
  }

  message(data: string | ArrayBuffer | ArrayBufferView): void {
    const connection = this.connection
    if (connection === undefined) return
    try {
      if (typeof data !== 'string') {
        const message = 'binary messages are not part of the protocol'
        logProtocolError(this.runtime.logger, connection, { type: 'error', code: 'BAD_REQUEST', message })
        connection.closeWithError('BAD_REQUEST', message)
        return
      }
      connection.handleText(data)
    } catch (error) {
      this.runtime.report(error, { operation: 'message', connectionId: connection.id })
    }
  }

  pong(): void {
    this.connection?.touch()
  }

  closed(code: number, reason: string): void {
    const connection = this.connection
    if (connection === undefined) {
      // Closed before it opened: the slot goes back.
      this.admission.release()
      return
    }
    try {
      // A close the server started reports the server's code, as on `ws` and SSE.
      const ended = (connection.sink as HostWsSink).ended
      if (ended) connection.handleClosed(ended.code, ended.reason)
      else connection.handleClosed(code, reason)
    } catch (error) {
      this.runtime.report(error, { operation: 'close', connectionId: connection.id })
    }
  }
}

/**
 * The connect checks of a WebSocket upgrade on a host runtime (http/connect.ts `admit`, as for
 * `ws`), answering a refusal itself with its status and ErrorFrame body, readable by the page.
 * @returns the admission, its slot still reserved, or null when the upgrade was refused
 */
export async function admitHostWebSocket(
  runtime: Runtime,
  req: HttpRequest,
  res: HttpReply,
  url: URL,
): Promise<Admission | null> {
  const result = await admit(runtime, req, 'ws', url)
  if (result.ok) return result.admission
  sendRefusal(res, { logger: runtime.logger, req, transport: 'ws' }, result.error)
  return null
}
