import type { Runtime } from '../core/runtime'
import { openWebSseStream } from '../transports/sse-web'
import { FetchReply } from './fetch-reply'
import { type FetchContext, FetchRequest, remoteAddressOf } from './fetch-request'
import { createRoutes, type RouterDeps } from './router'

/** `sluice.fetch`: a web-standard handler, `(request, context?) => Promise<Response>`. */
export type FetchHandler = (request: Request, context?: FetchContext) => Promise<Response>

/**
 * The web-standard handler (`sluice.fetch`): the endpoints of http/router.ts, the same as the
 * node:http handler's, on `Request` and `Response`, SSE streams as a ReadableStream body
 * (transports/sse-web.ts). For Deno, Bun, Next.js route handlers and any host that passes
 * web-standard requests and streams a Response body.
 */
export function createFetchHandler(runtime: Runtime, deps: RouterDeps): FetchHandler {
  const route = createRoutes<FetchRequest, FetchReply>(runtime, deps, (request, reply, url) =>
    openWebSseStream(runtime, request, reply, url),
  )
  return (request, context) => {
    const req = new FetchRequest(request, remoteAddressOf(request, context))
    const reply = new FetchReply(req.method === 'HEAD')
    route(req, reply)
    return reply.response
  }
}
