import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WireErrorCode } from '@sluice/protocol'
import { ServerError } from '../server-error'
import { type HmacAlgorithm, hmacSignature, type WebhookSecret, type WebhookVerifier } from './signatures'
import type { PublishTarget, SourceEvent } from './types'

/** One event a webhook body turns into. */
export interface WebhookEvent {
  topic: string
  event: SourceEvent
}

/** Options of {@link webhookHandler}. */
export interface WebhookHandlerOptions {
  /**
   * How a request is proved to come from its sender: {@link stripeSignature},
   * {@link githubSignature}, {@link hmacSignature} or your own function. Give it, or `secret`.
   */
  verify?: WebhookVerifier
  /**
   * Shorthand for `verify: hmacSignature({ secret, header, algorithm })`: the shared secret the
   * sender signs bodies with (several while rotating it).
   */
  secret?: WebhookSecret
  /**
   * With `secret`: the request header with the hex HMAC of the raw body, bare or prefixed with
   * `<algorithm>=` (`sha256=…`).
   * @default 'x-signature'
   */
  header?: string
  /** With `secret`. @default 'sha256' */
  algorithm?: HmacAlgorithm
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
 * A node:http handler that turns signed webhook calls (a payment provider, a CI, a CMS) into
 * events. It answers 405 to anything but POST, 413 to a body over `maxBodyBytes`, 401
 * UNAUTHORIZED when the verifier refuses the request (over the raw bytes, before parsing; the
 * message says what failed, never the secret), 400 to a body that is not JSON, and 200
 * `{"published":n}` once every event is published. Error bodies are protocol error frames.
 *
 * @example
 * const onGithub = webhookHandler({
 *   verify: githubSignature({ secret: process.env.GITHUB_WEBHOOK_SECRET! }),
 *   server: sluice,
 *   toEvents: (body: any) => [{ topic: 'builds', event: { kind: 'updated', key: String(body.check_run.id), data: body.check_run } }],
 * })
 * http.createServer((req, res) => (req.url === '/hooks/github' ? onGithub(req, res) : sluice.handler(req, res)))
 */
export function webhookHandler(options: WebhookHandlerOptions): Handler {
  const {
    secret,
    verify: given,
    header,
    algorithm,
    toEvents,
    server,
    maxBodyBytes = 1024 * 1024,
    onError,
  } = options
  if ((secret === undefined) === (given === undefined)) {
    throw new TypeError(
      'webhookHandler: give `verify` (stripeSignature, githubSignature…) or `secret`, exactly one',
    )
  }
  if (given !== undefined && typeof given !== 'function') {
    throw new TypeError('webhookHandler: `verify` must be a function (request) => void')
  }
  if (secret !== undefined && isEmpty(secret)) throw new TypeError('webhookHandler: `secret` is empty')
  const verify = given ?? hmacSignature({ secret: secret as WebhookSecret, header, algorithm })

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

      const genuine = await verify({ body, headers: req.headers, method: 'POST', url: req.url ?? '/' })
      if (genuine === false) {
        return reply(res, 401, error('UNAUTHORIZED', 'the webhook verifier refused the request'))
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

function isEmpty(secret: WebhookSecret): boolean {
  if (typeof secret === 'string') return secret === ''
  if (secret instanceof Uint8Array) return secret.byteLength === 0
  return secret.length === 0 || secret.some(isEmpty)
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
