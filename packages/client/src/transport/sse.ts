import {
  type ClientFrame,
  type ErrorFrame,
  encodeMessage,
  isErrorCode,
  PROTOCOL_VERSION,
  type WelcomeFrame,
} from '@sluice/protocol'
import { createParser } from 'eventsource-parser'
import { ClientError } from '../client-error'
import { openAttempt } from './attempt'
import type { Transport, TransportConnectOptions, TransportFactory } from './types'

/** The subset of `fetch` the SSE transport needs. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

/** A refused request: the server's `ErrorFrame` body, else the status alone (a proxy's HTML page, say). */
async function httpError(response: Response): Promise<ClientError> {
  const body = (await response.json().catch(() => null)) as Partial<ErrorFrame> | null
  const seconds = Number(response.headers.get('retry-after'))
  return new ClientError(
    isErrorCode(body?.code) ? body.code : 'NETWORK',
    typeof body?.message === 'string' ? body.message : `HTTP ${response.status}`,
    { retryAfterMs: body?.retryAfterMs ?? (seconds > 0 ? seconds * 1000 : undefined) },
  )
}

/**
 * The Server-Sent Events transport: `fetch` of `<base>/sse` read as a stream (so it can send an
 * `Authorization` header, which `EventSource` cannot), and commands as `POST <base>/sse/commands`
 * bound to the stream by the `connectionId`/`commandKey` of its welcome.
 *
 * Command POSTs go one at a time: two requests in flight may reach the server in either order,
 * and a subscribe must not overtake the publish issued before it.
 */
export function createSseTransport(
  // A lambda, not `globalThis.fetch` itself: a fetch patched later (tests, msw) still applies.
  doFetch: FetchLike = (input, init) => fetch(input, init),
): TransportFactory {
  return (options: TransportConnectOptions): Transport => {
    const { token } = options
    const base = options.url.replace(/\/+$/, '')
    const abort = new AbortController()
    const { signal } = abort
    const attempt = openAttempt(options, () => abort.abort())
    const parser = createParser({
      onEvent: (message) => attempt.receive(message.data),
      onComment: () => attempt.receive(),
    })

    const read = async () => {
      const response = await doFetch(`${base}/sse?v=${PROTOCOL_VERSION}`, {
        headers: { accept: 'text/event-stream', ...(token !== null && { authorization: `Bearer ${token}` }) },
        signal,
        cache: 'no-store',
      })
      if (!response.ok) throw await httpError(response)
      const reader = response.body!.getReader()
      const decoder = new TextDecoder()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        parser.feed(decoder.decode(value, { stream: true }))
      }
      // The server writes why it ends a stream (TOKEN_EXPIRED, SLOW_CONSUMER...) as an error frame.
      throw attempt.error ?? new ClientError('NETWORK', 'SSE stream ended')
    }
    read().catch((cause: unknown) =>
      attempt.finish(
        cause instanceof ClientError ? cause : new ClientError('NETWORK', 'SSE stream failed', { cause }),
      ),
    )

    const post = async (frames: readonly ClientFrame[], welcome: WelcomeFrame) => {
      if (signal.aborted) return
      try {
        const response = await doFetch(`${base}/sse/commands`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'sluice-connection': welcome.connectionId,
            'sluice-key': welcome.commandKey ?? '',
          },
          body: encodeMessage(frames[1] ? frames : frames[0]!),
          signal,
        })
        if (response.ok) return await response.body?.cancel()
        const error = await httpError(response)
        // The stream this POST was bound to is gone or not ours: reconnecting is the only fix.
        if (response.status === 404 || response.status === 403) return attempt.finish(error)
        // Otherwise each command gets the error as an error frame, as it would over WebSocket,
        // so calls and publishes settle instead of waiting for their timeout.
        const replies = frames
          .filter((frame) => frame.id !== undefined && frame.type !== 'ping')
          .map(
            (frame): ErrorFrame => ({
              type: 'error',
              id: frame.id,
              code: error.code as ErrorFrame['code'],
              message: error.message,
            }),
          )
        if (replies[0] && !signal.aborted) options.handlers.onFrames(replies)
      } catch (cause) {
        attempt.finish(new ClientError('NETWORK', 'SSE command POST failed', { cause }))
      }
    }
    let posted: Promise<void> = Promise.resolve()

    return {
      kind: 'sse',
      send(frames) {
        const { welcome } = attempt
        if (welcome) posted = posted.then(() => post(frames, welcome))
      },
      close: () => attempt.finish(null),
    }
  }
}
