import type { Runtime } from '../core/runtime'
import type { FetchReply } from '../http/fetch-reply'
import type { FetchRequest } from '../http/fetch-request'
import { sendRefusal } from '../http/respond'
import { ServerError } from '../server-error'
import { admitHostWebSocket, type HostWebSocket, HostWsSession } from './ws-host'

/** The server side of a WebSocket in Deno: the standard WebSocket API. */
interface DenoWebSocket {
  binaryType: string
  readonly bufferedAmount: number
  send(text: string): void
  close(code?: number, reason?: string): void
  onopen: (() => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onerror: ((event: unknown) => void) | null
}

/** `Deno.upgradeWebSocket`, as far as Sluice uses it. */
export interface DenoUpgrader {
  upgradeWebSocket(
    request: Request,
    options?: { idleTimeout?: number },
  ): { socket: DenoWebSocket; response: Response }
}

/** The `Deno` global when this runs in Deno, else undefined. */
export function denoUpgrader(): DenoUpgrader | undefined {
  const deno = (globalThis as { Deno?: Partial<DenoUpgrader> }).Deno
  return typeof deno?.upgradeWebSocket === 'function' ? (deno as DenoUpgrader) : undefined
}

class DenoSocket implements HostWebSocket {
  constructor(readonly socket: DenoWebSocket) {}
  send(text: string): void {
    this.socket.send(text)
  }
  bufferedAmount(): number {
    return this.socket.bufferedAmount
  }
  close(code: number, reason: string): void {
    this.socket.close(code, reason)
  }
  // The standard API cannot cut a socket; a close is the nearest (only shutdown past its drain uses it).
  terminate(): void {
    this.socket.close()
  }
}

/**
 * A WebSocket upgrade of `<basePath>/ws` on Deno: the connect checks, then
 * `Deno.upgradeWebSocket`, whose socket events drive the connection. Deno answers pings itself
 * and a peer's pongs never reach us, so Deno's `idleTimeout` (set to ours, in seconds) is what
 * closes a silent peer, rather than the connection's own idle check.
 */
export async function upgradeOnDeno(
  runtime: Runtime,
  req: FetchRequest,
  reply: FetchReply,
  url: URL,
  deno: DenoUpgrader,
): Promise<void> {
  const admission = await admitHostWebSocket(runtime, req, reply, url)
  if (admission === null) return
  let upgraded: ReturnType<DenoUpgrader['upgradeWebSocket']>
  try {
    upgraded = deno.upgradeWebSocket(req.request, {
      idleTimeout: Math.ceil(runtime.options.idleTimeoutMs / 1000),
    })
  } catch (cause) {
    admission.release()
    sendRefusal(
      reply,
      { logger: runtime.logger, req, transport: 'ws' },
      new ServerError('BAD_REQUEST', 'this request is not a WebSocket handshake Deno can accept', { cause }),
    )
    return
  }
  const { socket, response } = upgraded
  const session = new HostWsSession(runtime, admission, req.remoteAddress, false)
  socket.binaryType = 'arraybuffer'
  socket.onopen = () => session.open(new DenoSocket(socket))
  socket.onmessage = (event) => session.message(event.data as string | ArrayBuffer)
  socket.onclose = (event) => session.closed(event.code, event.reason)
  socket.onerror = (event) => runtime.logger.debug({ err: event }, 'websocket error')
  reply.respond(response)
}
