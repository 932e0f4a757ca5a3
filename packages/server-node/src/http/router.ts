import type { Runtime } from '../core/runtime'
import { logRefusal, type RefusalTransport } from '../observability/refusal-log'
import { ServerError } from '../server-error'
import type { ServerStats } from '../server-types'
import { handleSseCommands } from '../transports/sse-commands'
import { createAdminEndpoints } from './admin'
import { applyCors, isOriginAllowed } from './cors'
import { type HttpReply, type HttpRequest, requestUrl } from './http-request'
import { handleHttpPublish } from './publish-endpoint'
import { type RefusalContext, sendHttpError, sendJson, sendRefusal } from './respond'

export interface RouterDeps {
  stats: () => ServerStats
  /** Renders Prometheus metrics, or null when metrics are off. */
  metrics: { contentType: string; render(): Promise<string> } | null
}

/**
 * How a host opens an SSE stream: the one endpoint whose answer is more than an {@link HttpReply}
 * (node:http writes to the socket, fetch answers with a ReadableStream body).
 */
export type OpenStream<Req extends HttpRequest, Rep extends HttpReply> = (
  req: Req,
  res: Rep,
  url: URL,
) => Promise<void>

type Route<Req extends HttpRequest, Rep extends HttpReply> = {
  method: 'GET' | 'POST'
  /** @param url the request URL, parsed once for the router and the handler */
  run: (req: Req, res: Rep, url: URL) => void | Promise<void>
}

/**
 * The endpoints of every host (node:http in http/node-handler.ts, fetch in
 * http/fetch-handler.ts): `<basePath>/ws` (426 without an upgrade), `/sse`, `/sse/commands`,
 * `/publish`, `/status` and `/admin/*` (the operations API), plus `/healthz` and `/metrics`.
 * Errors are ErrorFrame JSON bodies; CORS follows `allowedOrigins`, and a browser request from
 * another origin is refused with 403.
 */
export function createRoutes<Req extends HttpRequest, Rep extends HttpReply>(
  runtime: Runtime,
  deps: RouterDeps,
  openStream: OpenStream<Req, Rep>,
): (req: Req, res: Rep) => void {
  const base = runtime.options.basePath
  const admin = createAdminEndpoints(runtime, deps.stats)
  const routes = new Map<string, Route<Req, Rep>>([
    [
      `${base}/ws`,
      {
        method: 'GET',
        run: (_req, res) =>
          sendJson(
            res,
            426,
            { type: 'error', code: 'BAD_REQUEST', message: 'this endpoint needs a WebSocket upgrade' },
            { upgrade: 'websocket', connection: 'Upgrade' },
          ),
      },
    ],
    [`${base}/sse`, { method: 'GET', run: openStream }],
    [`${base}/sse/commands`, { method: 'POST', run: (req, res) => handleSseCommands(runtime, req, res) }],
    [`${base}/publish`, { method: 'POST', run: (req, res) => handleHttpPublish(runtime, req, res) }],
    // The operations API (http/admin.ts): behind an admin key, /status included, since its
    // counts are not for anonymous callers.
    [`${base}/status`, { method: 'GET', run: admin.status }],
    [`${base}/admin/disconnect`, { method: 'POST', run: admin.disconnect }],
    [`${base}/admin/presence`, { method: 'GET', run: admin.presence }],
    [`${base}/admin/topics`, { method: 'GET', run: admin.topics }],
    [`${base}/admin/history`, { method: 'GET', run: admin.history }],
    [`${base}/admin/signal`, { method: 'POST', run: admin.signal }],
  ])

  const fail = (res: Rep, error: unknown) => {
    runtime.report(error, { operation: 'http' })
    if (!res.headersSent) sendHttpError(res, 'INTERNAL', 'internal server error')
    else res.destroy()
  }

  return (req, res) => {
    try {
      const url = requestUrl(req)
      const path = url.pathname
      if (path === '/healthz') {
        const status = healthOf(runtime)
        sendJson(res, status === 'ok' ? 200 : 503, { status })
        return
      }
      if (path === '/metrics' && deps.metrics) {
        const { metrics } = deps
        metrics.render().then(
          (text) => {
            res.writeHead(200, { 'content-type': metrics.contentType })
            res.end(text)
          },
          (error: unknown) => fail(res, error),
        )
        return
      }
      const route = routes.get(path)
      if (!route) {
        sendHttpError(res, 'NOT_FOUND', `no endpoint at ${path}`)
        return
      }
      const stream = path === `${base}/sse`
      if (applyCors(req, res, runtime.options.allowedOrigins, { connects: stream })) return
      const refused: RefusalContext = { logger: runtime.logger, req, transport: transportOf(path, base) }
      // A stream's connect checks run the origin check themselves, after the protocol version,
      // in PROTOCOL.md's order (as a WebSocket upgrade's do).
      const admits = stream && req.method === route.method
      if (!admits && !isOriginAllowed(req.headers.origin, runtime.options.allowedOrigins)) {
        sendRefusal(res, refused, new ServerError('FORBIDDEN', 'this origin is not allowed'))
        return
      }
      // HEAD only where a GET answers with a plain body: a HEAD on /sse must not open a stream.
      const headAllowed = req.method === 'HEAD' && path === `${base}/status`
      if (req.method !== route.method && !headAllowed) {
        const message = `use ${route.method} for ${path}`
        logRefusal(runtime.logger, req, refused.transport, { type: 'error', code: 'BAD_REQUEST', message })
        sendHttpError(res, 'BAD_REQUEST', message, {}, { allow: route.method })
        return
      }
      const done = route.run(req, res, url)
      if (done instanceof Promise) done.catch((error: unknown) => fail(res, error))
    } catch (error) {
      fail(res, error)
    }
  }
}

/** The transport a refusal on this path is logged under. */
function transportOf(path: string, base: string): RefusalTransport {
  if (path === `${base}/ws`) return 'ws'
  if (path === `${base}/sse` || path === `${base}/sse/commands`) return 'sse'
  return 'http'
}

/** What /healthz says: a load balancer sends no new clients to a node that is closing or cut off from its engine. */
function healthOf(runtime: Runtime): 'ok' | 'shutting_down' | 'engine_down' {
  if (runtime.closing) return 'shutting_down'
  if (runtime.engine.status() === 'down') return 'engine_down'
  return 'ok'
}
