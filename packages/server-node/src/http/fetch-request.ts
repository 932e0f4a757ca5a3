import type { IncomingHttpHeaders } from 'node:http'
import { ServerError } from '../server-error'
import type { HttpRequest } from './http-request'

/**
 * What a host hands `sluice.fetch` beside the request, read only for the client's address:
 * Deno.serve's handler info (`remoteAddr`), Bun.serve's server (`requestIP`), or
 * `{ remoteAddress }` given by hand. Anything else (a Next.js route context) is ignored.
 */
export interface FetchContext {
  remoteAddress?: string
  remoteAddr?: { hostname?: string }
  requestIP?(request: Request): { address: string } | null
  [other: string]: unknown
}

/** The client's address as the host tells it, if it does. */
export function remoteAddressOf(request: Request, context: FetchContext | undefined): string | undefined {
  if (context === undefined || context === null || typeof context !== 'object') return undefined
  if (typeof context.remoteAddress === 'string') return context.remoteAddress
  const hostname = context.remoteAddr?.hostname
  if (typeof hostname === 'string') return hostname
  if (typeof context.requestIP === 'function') return context.requestIP(request)?.address ?? undefined
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
