import { timingSafeEqual } from 'node:crypto'
import { decodeClientMessage, type ErrorFrame, httpStatusFor, type WireErrorCode } from '@sluice/protocol'
import { errorFrameFor } from '../core/errors'
import type { Runtime } from '../core/runtime'
import { SseWriter } from '../core/sink'
import type { SseCommandAnswer, SseCommandRequest } from '../engine/types'
import type { HttpReply, HttpRequest } from '../http/http-request'
import { type RefusalContext, sendJson, sendRefusal } from '../http/respond'
import { ServerError } from '../server-error'

/** Constant-time string comparison (different lengths compare unequal without a timing hint on content). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

function refusal(code: WireErrorCode, message: string): SseCommandAnswer {
  const body: ErrorFrame = { type: 'error', code, message }
  return { status: httpStatusFor(code), body }
}

function thrown(error: unknown): SseCommandAnswer {
  const body = errorFrameFor(error)
  return { status: httpStatusFor(body.code), body }
}

/**
 * Applies an SSE command POST to a stream of this node: the key check, the decode, and the
 * frames handed to the connection. Runs for POSTs that reached this node and for those another
 * node forwarded here, so both answer alike.
 */
export function runSseCommands(runtime: Runtime, request: SseCommandRequest): SseCommandAnswer {
  const connection = runtime.registry.get(request.connectionId)
  if (connection?.transport !== 'sse' || connection.state !== 'open') {
    return refusal('NOT_FOUND', 'no open SSE stream has this sluice-connection id')
  }
  const { key } = request
  if (
    typeof key !== 'string' ||
    connection.commandKey === undefined ||
    !safeEqual(key, connection.commandKey)
  ) {
    return refusal('FORBIDDEN', 'the sluice-key header does not match the stream')
  }
  const { limits } = runtime.options
  const decoded = decodeClientMessage(request.body, {
    maxFrameBytes: limits.maxFrameBytes,
    maxBatch: limits.maxBatch,
    maxTopicLength: limits.maxTopicLength,
  })
  if (!decoded.ok) return thrown(decoded.error)
  connection.touch()
  if (
    connection.writer instanceof SseWriter &&
    decoded.value.some((r) => r.ok && r.value.type === 'subscribe')
  ) {
    connection.writer.markCommandSubscriptions()
  }
  connection.handleFrames(decoded.value)
  return { status: 202, body: { accepted: decoded.value.length } }
}

/** The node named in a connection id (`<node>.<random>`), when it is not this one. */
function otherNode(runtime: Runtime, connectionId: string): string | undefined {
  const { nodeId } = runtime.engine
  if (nodeId === undefined || runtime.engine.forwardSseCommands === undefined) return undefined
  const dot = connectionId.indexOf('.')
  if (dot <= 0) return undefined
  const node = connectionId.slice(0, dot)
  return node === nodeId ? undefined : node
}

/**
 * The SSE command channel (`POST <basePath>/sse/commands`): frames for an open SSE stream,
 * named by `sluice-connection` and proven by `sluice-key`. Answers 202 `{accepted: n}`; the
 * replies to the commands travel on the stream. A POST for a stream of another node (many nodes
 * behind a load balancer) is forwarded to it through the engine, and answered as it answers.
 */
export async function handleSseCommands(runtime: Runtime, req: HttpRequest, res: HttpReply): Promise<void> {
  const refused: RefusalContext = { logger: runtime.logger, req, transport: 'sse' }
  // 202 as it is; a refusal readable by the page and logged once, wherever it was decided.
  const send = (answer: SseCommandAnswer) => {
    if (answer.status >= 400 && isErrorBody(answer.body))
      sendRefusal(res, refused, answer.body, answer.status)
    else sendJson(res, answer.status, answer.body)
  }
  const header = req.headers['sluice-connection']
  const connectionId = typeof header === 'string' ? header : ''
  const key = req.headers['sluice-key']
  const request = { connectionId, key: typeof key === 'string' ? key : undefined, body: '' }
  const node = otherNode(runtime, connectionId)
  if (node === undefined && runtime.registry.get(connectionId) === undefined) {
    // Refused before reading a body that would only be thrown away.
    req.discardBody()
    send(runSseCommands(runtime, request))
    return
  }
  try {
    request.body = await req.readBody(runtime.options.limits.maxFrameBytes)
  } catch (error) {
    sendRefusal(res, refused, error)
    return
  }
  if (node === undefined) {
    send(runSseCommands(runtime, request))
    return
  }
  let answer: SseCommandAnswer | null
  try {
    answer = await (
      runtime.engine.forwardSseCommands as NonNullable<typeof runtime.engine.forwardSseCommands>
    )(node, request)
  } catch (error) {
    sendRefusal(
      res,
      refused,
      error instanceof ServerError
        ? error
        : new ServerError('UNAVAILABLE', 'the node holding this SSE stream cannot be reached', {
            retryAfterMs: 1000,
            cause: error,
          }),
    )
    return
  }
  send(answer ?? refusal('NOT_FOUND', 'no open SSE stream has this sluice-connection id'))
}

/** An answer's body that is an ErrorFrame (a forwarded one comes from another node as parsed JSON). */
function isErrorBody(body: unknown): body is ErrorFrame {
  return (
    typeof body === 'object' &&
    body !== null &&
    (body as { type?: unknown }).type === 'error' &&
    typeof (body as { code?: unknown }).code === 'string' &&
    typeof (body as { message?: unknown }).message === 'string'
  )
}
