import type { IncomingHttpHeaders } from 'node:http'

/**
 * One HTTP request as Sluice's endpoints read it, whatever serves it: node:http
 * (http/node-request.ts) or a web-standard `Request` (http/fetch-request.ts). The endpoints
 * (router, connect checks, publish, commands, operations API) are written once against this and
 * {@link HttpReply}; only opening an SSE stream differs per host. Headers keep node's shape
 * (lowercase names, a plain object) because `authenticate` receives them as they are.
 */
export interface HttpRequest {
  readonly method: string
  /** The path and query the client asked for (a refusal's log line keeps the path only). */
  readonly target: string
  readonly headers: IncomingHttpHeaders
  readonly remoteAddress: string | undefined
  /** True once the client went away: a connect that finished authenticating too late opens nothing. */
  readonly gone: boolean
  /**
   * The body as UTF-8 text, at most `maxBytes`. Rejects with ServerError LIMIT_EXCEEDED as soon
   * as the declared or received size is over, without buffering the rest.
   */
  readBody(maxBytes: number): Promise<string>
  /** The body will not be read: drained (node:http, so the socket can serve the next request) or cancelled. */
  discardBody(): void
}

/**
 * The answer side: the part of node's ServerResponse that the endpoints use, so a
 * ServerResponse is one as it is (no wrapper on the node:http path) and a fetch answer
 * (http/fetch-reply.ts) collects the same calls into a `Response`.
 */
export interface HttpReply {
  /** True once the status line is decided (writeHead or end was called). */
  readonly headersSent: boolean
  setHeader(name: string, value: string | number): unknown
  getHeader(name: string): string | number | string[] | undefined
  /** Sets the status and more headers; these win over setHeader's of the same name. */
  writeHead(status: number, headers?: Record<string, string | number>): unknown
  end(body?: string): unknown
  /** Cuts the answer: once a stream started, it ends abruptly. */
  destroy(): unknown
}

/** The request URL, a relative target resolved against a placeholder host (as on every host). */
export function requestUrl(request: Pick<HttpRequest, 'target'>): URL {
  return new URL(request.target, 'http://localhost')
}
