import { readServerMessage, type WelcomeFrame } from '@sluice/protocol'
import { ClientError } from '../client-error'
import type { TransportConnectOptions } from './types'

/**
 * What every transport does the same way for one connection attempt: the handshake timeout,
 * the welcome that opens it, frames and activity reported while it lives, and exactly one
 * `onClose` at its end. A transport only feeds it messages and says when the wire is gone.
 *
 * @param stop releases the wire (closes the socket, aborts the requests); called once, by `finish`.
 */
export function openAttempt(
  { handlers, timers, handshakeTimeoutMs }: TransportConnectOptions,
  stop: () => void,
) {
  let done = false
  const timer = timers.setTimeout(
    () => attempt.finish(new ClientError('NETWORK', `no welcome in ${handshakeTimeoutMs} ms`)),
    handshakeTimeoutMs,
  )

  const attempt = {
    /** The server's welcome, once the handshake is done. */
    welcome: undefined as WelcomeFrame | undefined,
    /**
     * The last error frame without an id: why the server is about to end the connection
     * (UNAUTHORIZED before the welcome; TOKEN_EXPIRED, SLOW_CONSUMER... after it).
     */
    error: null as ClientError | null,

    /**
     * One inbound message. Anything counts as activity; only text carries frames (an SSE
     * comment or a binary WebSocket message is just a sign of life). Frames before the
     * welcome are not delivered: the welcome must come first.
     *
     * The compact reader drops a frame whose fields have the wrong type, or of a type this
     * client does not know (a newer server); development builds say so on the console.
     */
    receive(data?: unknown): void {
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
        if (frame.type === 'error' && frame.id === undefined) {
          attempt.error = new ClientError(frame.code, frame.message, { retryAfterMs: frame.retryAfterMs })
        }
      }
      if (!attempt.welcome) {
        const first = frames.shift()
        if (first?.type !== 'welcome') return
        attempt.welcome = first
        timers.clearTimeout(timer)
        handlers.onOpen(first)
      }
      if (frames[0] && !done) handlers.onFrames(frames)
    },

    /** Ends the attempt, once: `error` is null after a local `close()`. */
    finish(error: ClientError | null): void {
      if (done) return
      done = true
      timers.clearTimeout(timer)
      stop()
      handlers.onClose({ opened: !!attempt.welcome, error })
    },
  }
  return attempt
}
