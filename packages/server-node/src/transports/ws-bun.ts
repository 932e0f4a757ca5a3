import { DEFAULT_LIMITS } from '@sluice/protocol'
import type { Runtime } from '../core/runtime'
import type { FetchReply } from '../http/fetch-reply'
import type { FetchRequest } from '../http/fetch-request'
import { sendRefusal } from '../http/respond'
import { ServerError } from '../server-error'
import { admitHostWebSocket, type HostWebSocket, HostWsSession } from './ws-host'

/** Bun's server as far as an upgrade needs it (the second argument of a Bun.serve `fetch`). */
export interface BunUpgrader {
  upgrade(request: Request, options: { data: unknown }): boolean
}

/** Bun's ServerWebSocket as far as Sluice uses it. */
export interface BunServerWebSocket {
  readonly data: unknown
  send(text: string): unknown
  getBufferedAmount(): number
  ping(): unknown
  close(code?: number, reason?: string): void
  terminate(): void
}

// Where a Sluice socket's session sits in its `data`; a symbol, so an app's own data never clashes.
const SESSION = Symbol.for('sluice.ws-session')

function sessionOf(ws: BunServerWebSocket): HostWsSession | undefined {
  const data = ws.data as { [SESSION]?: HostWsSession } | null | undefined
  return data?.[SESSION]
}

/** A Bun socket as a {@link HostWebSocket}: methods on a prototype, not closures per socket. */
class BunSocket implements HostWebSocket {
  constructor(readonly ws: BunServerWebSocket) {}
  send(text: string): void {
    this.ws.send(text)
  }
  bufferedAmount(): number {
    return this.ws.getBufferedAmount()
  }
  ping(): void {
    this.ws.ping()
  }
  close(code: number, reason: string): void {
    this.ws.close(code, reason)
  }
  terminate(): void {
    this.ws.terminate()
  }
}

/** Whether the host's context can upgrade a request the way Bun's server does. */
export function isBunUpgrader(context: unknown): context is BunUpgrader {
  return typeof (context as { upgrade?: unknown } | null | undefined)?.upgrade === 'function'
}

/**
 * A WebSocket upgrade of `<basePath>/ws` on Bun: the connect checks, then `server.upgrade` with
 * the socket's session in its `data`; {@link bunWebSocket}'s handlers take it from there. Bun
 * calls `open` within `upgrade`, and ignores the Response a handler returns after one.
 */
export async function upgradeOnBun(
  runtime: Runtime,
  req: FetchRequest,
  reply: FetchReply,
  url: URL,
  server: BunUpgrader,
): Promise<void> {
  const admission = await admitHostWebSocket(runtime, req, reply, url)
  if (admission === null) return
  const session = new HostWsSession(runtime, admission, req.remoteAddress, true)
  if (!server.upgrade(req.request, { data: { [SESSION]: session } })) {
    admission.release()
    sendRefusal(
      reply,
      { logger: runtime.logger, req, transport: 'ws' },
      new ServerError('BAD_REQUEST', 'this request is not a WebSocket handshake Bun can accept'),
    )
    return
  }
  reply.end()
}

/**
 * The `websocket` handlers to give `Bun.serve` beside `fetch: sluice.fetch`: they drive the
 * sockets `sluice.fetch` upgraded (any socket without a Sluice session in its `data` is left
 * alone). Sluice sends its own heartbeats and closes a peer that answers none, so Bun's idle
 * timeout and automatic pings are off; `maxPayloadLength` is the default `maxFrameBytes` (with
 * larger `limits`, spread this object and raise it).
 *
 * @example
 * Bun.serve({ port: 8080, fetch: sluice.fetch, websocket: bunWebSocket })
 */
export const bunWebSocket = {
  open(ws: BunServerWebSocket): void {
    sessionOf(ws)?.open(new BunSocket(ws))
  },
  message(ws: BunServerWebSocket, message: string | ArrayBufferView): void {
    sessionOf(ws)?.message(message)
  },
  pong(ws: BunServerWebSocket): void {
    sessionOf(ws)?.pong()
  },
  close(ws: BunServerWebSocket, code: number, reason: string): void {
    sessionOf(ws)?.closed(code, reason)
  },
  idleTimeout: 0,
  sendPings: false,
  perMessageDeflate: false,
  maxPayloadLength: DEFAULT_LIMITS.maxFrameBytes,
}
