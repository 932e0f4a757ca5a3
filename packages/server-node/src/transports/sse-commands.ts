import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { decodeClientMessage } from '@sluice/protocol'
import type { Runtime } from '../core/runtime'
import { SseWriter } from '../core/sink'
import { readBody, sendHttpError, sendJson, sendThrown } from '../http/respond'

/** Constant-time string comparison (different lengths compare unequal without a timing hint on content). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/**
 * The SSE command channel (`POST <basePath>/sse/commands`): frames for an open SSE stream,
 * named by `sluice-connection` and proven by `sluice-key`. Answers 202 `{accepted: n}`; the
 * replies to the commands travel on the stream.
 */
export async function handleSseCommands(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const connectionId = req.headers['sluice-connection']
  const key = req.headers['sluice-key']
  const connection = typeof connectionId === 'string' ? runtime.registry.get(connectionId) : undefined
  if (connection?.transport !== 'sse' || connection.state !== 'open') {
    req.resume()
    sendHttpError(res, 'NOT_FOUND', 'no open SSE stream has this sluice-connection id')
    return
  }
  if (
    typeof key !== 'string' ||
    connection.commandKey === undefined ||
    !safeEqual(key, connection.commandKey)
  ) {
    req.resume()
    sendHttpError(res, 'FORBIDDEN', 'the sluice-key header does not match the stream')
    return
  }
  const { limits } = runtime.options
  let body: string
  try {
    body = await readBody(req, limits.maxFrameBytes)
  } catch (error) {
    sendThrown(res, error)
    return
  }
  const decoded = decodeClientMessage(body, {
    maxFrameBytes: limits.maxFrameBytes,
    maxBatch: limits.maxBatch,
    maxTopicLength: limits.maxTopicLength,
  })
  if (!decoded.ok) {
    sendThrown(res, decoded.error)
    return
  }
  connection.touch()
  if (
    connection.writer instanceof SseWriter &&
    decoded.value.some((r) => r.ok && r.value.type === 'subscribe')
  ) {
    connection.writer.markCommandSubscriptions()
  }
  connection.handleFrames(decoded.value)
  sendJson(res, 202, { accepted: decoded.value.length })
}
