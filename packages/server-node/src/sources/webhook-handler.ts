import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WireErrorCode } from '@sluice/protocol'
import { ServerError } from '../server-error'
import type { PublishTarget, SourceEvent } from './types'

/** One event a webhook body turns into. */
export interface WebhookEvent {
  topic: string
  event: SourceEvent
}

/** Options of {@link webhookHandler}. */
export interface WebhookHandlerOptions {
  /** The shared secret the sender signs bodies with. */
  secret: string | Uint8Array
  /**
   * Request header with the hex HMAC of the raw body, bare or prefixed with `<algorithm>=`
   * (`sha256=…`, as GitHub sends it).
   * @default 'x-signature'
   */
  header?: string
  /** @default 'sha256' */
  algorithm?: 'sha256' | 'sha512' | 'sha1'
  /** Maps the parsed JSON body to events; they are published in order. Throw a ServerError to answer with its code. */
  toEvents: (body: unknown, req: IncomingMessage) => WebhookEvent[] | Promise<WebhookEvent[]>
  server: PublishTarget
  /** @default 1 MiB */
  maxBodyBytes?: number
  /** Called with an unexpected error (not a ServerError) from `toEvents` or `publish`, answered as INTERNAL. */
  onError?: (error: unknown) => void
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>

/**
 * A node:http handler that turns signed webhook calls (a CMS, a payment provider, a CI) into
 * events. It answers 405 to anything but POST, 413 to a body over `maxBodyBytes`, 401 when the
 * HMAC signature is missing or wrong (checked in constant time over the raw bytes, before parsing),
 * 400 to a body that is not JSON, and 200 `{"published":n}` once every event is published.
 * Error bodies are protocol error frames.
 *
 * @example
 * const onCmsChange = webhookHandler({
 *   secret: process.env.CMS_WEBHOOK_SECRET!,
 *   header: 'x-hub-signature-256',
 *   server: sluice,
 *   toEvents: (body: any) => [{ topic: `posts`, event: { kind: 'updated', key: body.id, data: body } }],
 * })
 * http.createServer((req, res) => (req.url === '/hooks/cms' ? onCmsChange(req, res) : sluice.handler(req, res)))
 */
export function webhookHandler(options: WebhookHandlerOptions): Handler {
  const { secret, algorithm = 'sha256', toEvents, server, maxBodyBytes = 1024 * 1024, onError } = options
  const header = (options.header ?? 'x-signature').toLowerCase()
  if (typeof secret === 'string' ? secret === '' : secret.byteLength === 0) {
    throw new TypeError('webhookHandler: `secret` is empty')
  }
  const prefix = `${algorithm}=`

  return async (req, res) => {
    try {
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST')
        return reply(res, 405, error('BAD_REQUEST', 'use POST'))
      }
      const declared = Number(req.headers['content-length'])
      if (declared > maxBodyBytes) return tooLarge(req, res, maxBodyBytes)
      const body = await readBody(req, maxBodyBytes)
      if (body === null) return tooLarge(req, res, maxBodyBytes)

      const given = req.headers[header]
      if (typeof given !== 'string' || given === '') {
        return reply(res, 401, error('UNAUTHORIZED', `the ${header} header is missing`))
      }
      const expected = createHmac(algorithm, secret).update(body).digest()
      const hex = given.startsWith(prefix) ? given.slice(prefix.length) : given
      const signature = /^[0-9a-f]+$/i.test(hex) ? Buffer.from(hex, 'hex') : Buffer.alloc(0)
      // timingSafeEqual needs equal lengths; the length of a digest is public anyway.
      if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
        return reply(res, 401, error('UNAUTHORIZED', 'the signature does not match the body'))
      }

      let parsed: unknown
      try {
        parsed = JSON.parse(body.toString('utf8'))
      } catch {
        return reply(res, 400, error('BAD_REQUEST', 'the body is not valid JSON'))
      }
      const events = await toEvents(parsed, req)
      for (const { topic, event } of events) await server.publish(topic, event)
      return reply(res, 200, { published: events.length })
    } catch (caught) {
      if (caught instanceof ServerError) return reply(res, caught.status, error(caught.code, caught.message))
      onError?.(caught)
      return reply(res, 500, error('INTERNAL', 'the webhook could not be processed'))
    }
  }
}

/** Resolves the raw body, or null as soon as it grows past `limit` (the rest is not buffered). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        cleanup()
        resolve(null)
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resolve(Buffer.concat(chunks, size))
    }
    const onError = (err: Error) => {
      cleanup()
      reject(err)
    }
    const cleanup = () => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
  })
}

function tooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  // Close the connection rather than read the rest of an oversized upload.
  res.setHeader('connection', 'close')
  reply(res, 413, error('LIMIT_EXCEEDED', `the body is larger than ${limit} bytes`))
  req.resume()
}

function error(code: WireErrorCode, message: string) {
  return { type: 'error', code, message }
}

function reply(res: ServerResponse, status: number, body: object): void {
  if (res.headersSent) {
    res.end()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}
