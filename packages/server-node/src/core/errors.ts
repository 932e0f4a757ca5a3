import { type ErrorFrame, ProtocolError, type WireErrorCode } from '@sluice/protocol'
import { ServerError } from '../server-error'

/** The message every unexpected failure gets on the wire: details stay in the server's log. */
const INTERNAL_MESSAGE = 'internal server error'

/** True for errors whose code and message are meant for the client. */
export function isExposable(error: unknown): error is ServerError | ProtocolError {
  return error instanceof ServerError || error instanceof ProtocolError
}

/**
 * The error frame for anything thrown while serving a command. ServerError and ProtocolError
 * keep their code and message; everything else becomes INTERNAL with a generic message (no
 * stack, no `error.message` that might leak internals).
 */
export function errorFrameFor(error: unknown, id?: string, topic?: string): ErrorFrame {
  if (error instanceof ServerError) {
    const frame: ErrorFrame = { type: 'error', code: error.code, message: error.message }
    if (id !== undefined) frame.id = id
    const errorTopic = error.topic ?? topic
    if (errorTopic !== undefined) frame.topic = errorTopic
    if (error.issues !== undefined) frame.issues = error.issues
    if (error.retryAfterMs !== undefined) frame.retryAfterMs = error.retryAfterMs
    return frame
  }
  if (error instanceof ProtocolError) {
    const frame: ErrorFrame = { type: 'error', code: error.code, message: error.message }
    const errorId = error.id ?? id
    if (errorId !== undefined) frame.id = errorId
    if (topic !== undefined) frame.topic = topic
    if (error.field !== undefined) frame.field = error.field
    return frame
  }
  const frame: ErrorFrame = { type: 'error', code: 'INTERNAL', message: INTERNAL_MESSAGE }
  if (id !== undefined) frame.id = id
  if (topic !== undefined) frame.topic = topic
  return frame
}

/** An error frame from parts. */
export function errorFrame(
  code: WireErrorCode,
  message: string,
  extra: Omit<ErrorFrame, 'type' | 'code' | 'message'> = {},
): ErrorFrame {
  const frame: ErrorFrame = { type: 'error', code, message }
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined) (frame as unknown as Record<string, unknown>)[key] = value
  }
  return frame
}
