import type { Runtime } from '../core/runtime'
import { openWebSseStream } from '../transports/sse-web'
import { isBunUpgrader, upgradeOnBun } from '../transports/ws-bun'
import { denoUpgrader, upgradeOnDeno } from '../transports/ws-deno'
import { FetchReply } from './fetch-reply'
import { FetchRequest, remoteAddressOf } from './fetch-request'
import { requestUrl } from './http-request'
import { sendHttpError } from './respond'
import { createRoutes, type RouterDeps } from './router'

/** `sluice.fetch`: a web-standard handler, `(request, context?) => Promise<Response>`. */
export type FetchHandler = (request: Request, context?: unknown) => Promise<Response>

type Upgrade = (req: FetchRequest, reply: FetchReply, url: URL) => Promise<void>

/**
 * The web-standard handler (`sluice.fetch`): the endpoints of http/router.ts, the same as the
 * node:http handler's, on `Request` and `Response`, SSE streams as a ReadableStream body
 * (transports/sse-web.ts). A WebSocket upgrade of `<basePath>/ws` is accepted where the host
 * can upgrade from a fetch handler: on Bun (its server is the handler's second argument) and on
 * Deno (`Deno.upgradeWebSocket`); elsewhere it is answered 426 like any GET there.
 */
export function createFetchHandler(runtime: Runtime, deps: RouterDeps): FetchHandler {
  const route = createRoutes<FetchRequest, FetchReply>(runtime, deps, (request, reply, url) =>
    openWebSseStream(runtime, request, reply, url),
  )
  const wsPath = `${runtime.options.basePath}/ws`

  /** How this host upgrades the request, when it is a WebSocket handshake for us and the host can. */
  const upgradeFor = (req: FetchRequest, context: unknown): Upgrade | undefined => {
    const upgrade = req.headers.upgrade
    if (req.method !== 'GET' || typeof upgrade !== 'string' || upgrade.toLowerCase() !== 'websocket') {
      return undefined
    }
    if (isBunUpgrader(context)) return (r, reply, url) => upgradeOnBun(runtime, r, reply, url, context)
    const deno = denoUpgrader()
    if (deno !== undefined) return (r, reply, url) => upgradeOnDeno(runtime, r, reply, url, deno)
    return undefined
  }

  return (request, context) => {
    const req = new FetchRequest(request, remoteAddressOf(request, context))
    const reply = new FetchReply(req.method === 'HEAD')
    const upgrade = upgradeFor(req, context)
    const url = upgrade === undefined ? undefined : requestUrl(req)
    if (upgrade === undefined || url?.pathname !== wsPath) {
      route(req, reply)
      return reply.response
    }
    upgrade(req, reply, url).catch((error: unknown) => {
      runtime.report(error, { operation: 'connect:ws' })
      sendHttpError(reply, 'INTERNAL', 'internal server error')
    })
    return reply.response
  }
}
