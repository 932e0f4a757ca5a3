import { type ErrorFrame, httpStatusFor, type WireErrorCode } from '@sluice/protocol'
import { errorFrameFor } from '../core/errors'
import type { Logger } from '../observability/logger'
import { logRefusal, type RefusalTransport } from '../observability/refusal-log'
import { exposeRefusal } from './cors'
import type { HttpReply, HttpRequest } from './http-request'

/** Writes a JSON body with a status. */
export function sendJson(
  res: HttpReply,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(text)
}

/** Answers with an ErrorFrame body and the code's HTTP status. */
export function sendHttpError(
  res: HttpReply,
  code: WireErrorCode,
  message: string,
  extra: Partial<Omit<ErrorFrame, 'type' | 'code' | 'message'>> = {},
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const body: ErrorFrame = { type: 'error', code, message }
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined) (body as unknown as Record<string, unknown>)[key] = value
  }
  if (body.retryAfterMs !== undefined) headers['retry-after'] = String(Math.ceil(body.retryAfterMs / 1000))
  sendJson(res, httpStatusFor(code), body, headers)
}

/** Answers with the error frame of a thrown ServerError or ProtocolError (INTERNAL for anything else). */
export function sendThrown(res: HttpReply, error: unknown): void {
  const frame = errorFrameFor(error)
  const { type: _type, code, message, ...extra } = frame
  sendHttpError(res, code, message, extra)
}

/** Who a refusal answers and where its log line goes; see {@link sendRefusal}. */
export interface RefusalContext {
  logger: Logger
  req: HttpRequest
  transport: RefusalTransport
}

/**
 * Answers a refused request of a realtime endpoint (a connect, a command POST, a publish) with
 * its ErrorFrame, readable by the page that sent it whatever its origin (see `exposeRefusal`),
 * and logs it once (`logRefusal`). `refusal` is a thrown error (ServerError and ProtocolError keep
 * their code, anything else is INTERNAL) or a ready frame with the status to send it with.
 *
 * @example
 * sendRefusal(res, { logger: runtime.logger, req, transport: 'sse' }, result.error)
 */
export function sendRefusal(
  res: HttpReply,
  context: RefusalContext,
  refusal: unknown,
  status?: number,
): void {
  const frame = isErrorFrame(refusal) ? refusal : errorFrameFor(refusal)
  logRefusal(context.logger, context.req, context.transport, frame, status)
  if (res.headersSent) {
    res.destroy()
    return
  }
  exposeRefusal(context.req, res)
  if (status === undefined) {
    const { type: _type, code, message, ...extra } = frame
    sendHttpError(res, code, message, extra)
    return
  }
  sendJson(
    res,
    status,
    frame,
    frame.retryAfterMs === undefined ? {} : { 'retry-after': String(Math.ceil(frame.retryAfterMs / 1000)) },
  )
}

function isErrorFrame(value: unknown): value is ErrorFrame {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Error) &&
    (value as { type?: unknown }).type === 'error'
  )
}
