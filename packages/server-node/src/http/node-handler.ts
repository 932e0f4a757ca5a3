import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Runtime } from '../core/runtime'
import { openSseStream } from '../transports/sse'
import { NodeRequest } from './node-request'
import { createRoutes, type RouterDeps } from './router'

/**
 * The node:http handler (`sluice.handler`): the endpoints of http/router.ts on IncomingMessage
 * and ServerResponse, SSE streams written to their socket (transports/sse.ts).
 */
export function createNodeHandler(
  runtime: Runtime,
  deps: RouterDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  const route = createRoutes<NodeRequest, ServerResponse>(runtime, deps, (request, res, url) =>
    openSseStream(runtime, request, res, url),
  )
  return (req, res) => {
    // A closing server answers and hangs up: clients retrying over a kept-alive socket would keep
    // it busy, and the http server's close() would wait on it until the process's deadline.
    if (runtime.closing) res.shouldKeepAlive = false
    route(new NodeRequest(req), res)
  }
}
