import type { IncomingHttpHeaders } from 'node:http'
import { ServerError } from '../server-error'
import type { HttpRequest } from './http-request'

/**
 * What a host hands `sluice.fetch` beside the request, read only for the client's address:
 * Deno.serve's handler info (`remoteAddr`), Bun.serve's server (`requestIP`), or
 * `{ remoteAddress }` given by hand. Anything else (a Next.js route context) is ignored, so the
 * handler's parameter is `unknown`: a host's own type (Bun's Server) has no index signature to
 * match a narrower one.
 */
interface FetchContext {
  remoteAddress?: unknown
  remoteAddr?: { hostname?: unknown }
  requestIP?: unknown
}

/** The client's address as the host tells it, if it does. */
export function remoteAddressOf(request: Request, context: unknown): string | undefined {
  if (typeof context !== 'object' || context === null) return undefined
  const { remoteAddress, remoteAddr } = context as FetchContext
  if (typeof remoteAddress === 'string') return remoteAddress
  if (typeof remoteAddr?.hostname === 'string') return remoteAddr.hostname
  const host = context as { requestIP?: (request: Request) => { address?: unknown } | null }
  if (typeof host.requestIP === 'function') {
    const address = host.requestIP(request)?.address
    return typeof address === 'string' ? address : undefined
  }
  return undefined
}

/** A web-standard `Request` as an {@link HttpRequest}. */
export class FetchRequest implements HttpRequest {
  readonly method: string
  readonly target: string
  readonly headers: IncomingHttpHeaders
  constructor(
    readonly request: Request,
    readonly remoteAddress: string | undefined,
  ) {
    this.method = request.method
    const url = new URL(request.url)
    this.target = url.pathname + url.search
    // A plain object of lowercase names, as node gives them: `authenticate` reads headers the
    // same way on every host (Headers already lowercases and joins repeated fields).
    const headers: IncomingHttpHeaders = {}
    request.headers.forEach((value, name) => {
      headers[name] = value
    })
    this.headers = headers
  }

  get gone(): boolean {
    return this.request.signal.aborted
  }

  async readBody(maxBytes: number): Promise<string> {
    const declared = Number(this.headers['content-length'])
    if (Number.isFinite(declared) && declared > maxBytes) {
      this.discardBody()
      throw tooLarge(maxBytes)
    }
    const body = this.request.body
    if (body === null) return ''
    const reader = body.getReader()
    const decoder = new TextDecoder()
    let text = ''
    let size = 0
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        reader.cancel().catch(() => {})
        throw tooLarge(maxBytes)
      }
      text += decoder.decode(value, { stream: true })
    }
    return text + decoder.decode()
  }

  discardBody(): void {
    const body = this.request.body
    if (body !== null && !body.locked) body.cancel().catch(() => {})
  }
}

function tooLarge(maxBytes: number): ServerError {
  return new ServerError('LIMIT_EXCEEDED', `the body is larger than ${maxBytes} bytes`)
}
