import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { ServerError } from '../server-error'
import type { HttpRequest } from './http-request'

/** A node:http request as an {@link HttpRequest}; `req` is kept for what only node has (the socket of an SSE stream). */
export class NodeRequest implements HttpRequest {
  constructor(readonly req: IncomingMessage) {}

  get method(): string {
    return this.req.method ?? 'GET'
  }

  get target(): string {
    return this.req.url ?? '/'
  }

  get headers(): IncomingHttpHeaders {
    return this.req.headers
  }

  get remoteAddress(): string | undefined {
    return this.req.socket.remoteAddress
  }

  get gone(): boolean {
    return this.req.destroyed
  }

  readBody(maxBytes: number): Promise<string> {
    return readNodeBody(this.req, maxBytes)
  }

  discardBody(): void {
    this.req.resume()
  }
}

function tooLarge(maxBytes: number): ServerError {
  return new ServerError('LIMIT_EXCEEDED', `the body is larger than ${maxBytes} bytes`)
}

/**
 * Reads a request body up to `maxBytes`. Rejects with ServerError LIMIT_EXCEEDED as soon as
 * the declared or received size is over, and drains the rest unbuffered so the socket stays usable.
 */
export function readNodeBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(tooLarge(maxBytes))
      req.resume()
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    req.on('data', (chunk: Buffer) => {
      if (done) return
      size += chunk.length
      if (size > maxBytes) {
        done = true
        reject(tooLarge(maxBytes))
        req.resume()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (done) return
      done = true
      resolve(Buffer.concat(chunks).toString('utf8'))
    })
    req.on('error', (error) => {
      if (done) return
      done = true
      reject(error)
    })
  })
}
