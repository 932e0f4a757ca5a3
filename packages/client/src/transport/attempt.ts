import {
  type ClientFrame,
  encodeMessage,
  readServerMessage,
  type ServerFrame,
  type WelcomeFrame,
} from '@sluice/protocol'
import { ClientError } from '../client-error'
import type { TransportKind } from '../connection-state'
import type { Transport, TransportConnectOptions } from './types'

/**
 * Sends one encoded message (a single frame unwrapped, several as a batch array). Only called
 * once welcomed: an SSE command POST is bound to the stream by its welcome, and the connection
 * sends nothing before the welcome on WebSocket either.
 */
export type Write = (text: string, frames: readonly ClientFrame[], welcome: WelcomeFrame) => void

/** What the attempt gives the transport's wire: every frame reaches the connection through it. */
export interface Wire {
  /**
   * One inbound message. Anything counts as activity; only text carries frames. Called without
   * text for a mere sign of life (bytes on an SSE stream, a binary WebSocket message).
   */
  receive(data?: unknown): void
  /**
   * Frames the transport stands in for the server with, delivered like received ones: the error
   * answers of the commands in an SSE POST the server refused, as WebSocket would carry them.
   */
  answer(frames: ServerFrame[]): void
  /**
   * Ends the attempt, once. Anything but a ClientError (a failed fetch, a WebSocket that could
   * not be created) becomes NETWORK.
   */
  finish(cause: unknown): void
  /**
   * The last error frame without an id: why the server ended the connection (TOKEN_EXPIRED,
   * SLOW_CONSUMER...) where the wire cannot say it.
   */
  lastError(): ClientError | null
  /** Aborts when the attempt ends, for whatever reason: the wire is released then (socket closed, requests aborted). */
  signal: AbortSignal
}

/** Opens the wire of one transport; what it throws ends the attempt (NETWORK). */
export type Connect = (wire: Wire) => Write

/**
 * What every transport does the same way for one connection attempt: the handshake timeout,
 * the welcome that opens it, frames and activity reported while it lives, and exactly one
 * `onClose` at its end. A transport only opens its wire ({@link Connect}).
 *
 * Frames before the welcome are not delivered: the welcome must come first. An error frame
 * in its place is the server's refusal and ends the attempt with that error at once. The
 * compact reader drops a frame whose fields have the wrong type, or of a type this client does
 * not know (a newer server); development builds say so on the console.
 */
export function openAttempt(
  { handlers, timers, handshakeTimeoutMs }: TransportConnectOptions,
  kind: TransportKind,
  connect: Connect,
): Transport {
  const abort = new AbortController()
  let welcome: WelcomeFrame | undefined
  let lastError: ClientError | null = null
  let done = false

  const finish = (cause: unknown) => {
    if (done) return
    done = true
    timers.clearTimeout(timer)
    abort.abort()
    handlers.onClose({
      opened: !!welcome,
      error:
        cause === null || cause instanceof ClientError
          ? cause
          : new ClientError('NETWORK', String(cause), { cause }),
    })
  }

  const receive = (data?: unknown) => {
    if (done) return
    handlers.onActivity()
    if (typeof data !== 'string') return
    const frames = readServerMessage(
      data,
      typeof process !== 'undefined' && process.env.NODE_ENV !== 'production'
        ? (value) => console.warn('[sluice] dropped a server frame the client cannot use:', value)
        : undefined,
    )
    for (const frame of frames) {
      if (frame.type === 'error' && !frame.id) {
        lastError = new ClientError(frame.code, frame.message, { retryAfterMs: frame.retryAfterMs })
      }
    }
    if (!welcome) {
      const first = frames.shift()
      if (first?.type !== 'welcome') {
        // An error frame in the welcome's place is the server's refusal.
        if (lastError) finish(lastError)
        return
      }
      welcome = first
      timers.clearTimeout(timer)
      handlers.onOpen(first)
    }
    if (!done) handlers.onFrames(frames)
  }

  const timer = timers.setTimeout(
    () => finish(new ClientError('NETWORK', `no welcome in ${handshakeTimeoutMs} ms`)),
    handshakeTimeoutMs,
  )
  let write: Write | undefined
  try {
    write = connect({
      receive,
      // Only while the attempt lives, and after its welcome (commands are sent only then).
      answer: (frames) => {
        if (!done) handlers.onFrames(frames)
      },
      finish,
      lastError: () => lastError,
      signal: abort.signal,
    })
  } catch (cause) {
    // No WebSocket implementation, a bad URL... Reported asynchronously like any other connect
    // failure: the caller holds no reference to this transport yet.
    queueMicrotask(() => finish(cause))
  }

  return {
    kind,
    send(frames) {
      // Without a wire there is no welcome either.
      if (welcome) write!(encodeMessage(frames[1] ? frames : frames[0]!), frames, welcome)
    },
    close: () => finish(null),
  }
}
