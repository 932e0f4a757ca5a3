import { type ErrorFrame, PROTOCOL_VERSION, readServerFrame } from '@sluice/protocol'
import { ClientError } from '../client-error'
import { openAttempt } from './attempt'
import { createSseParser } from './sse-parser'
import type { TransportConnectOptions, TransportFactory } from './types'

/** The subset of `fetch` the SSE transport needs. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

/**
 * A refused request: the server's error frame body (read like any frame), else the status alone
 * (a proxy's HTML page, say). `retry-after` is in seconds.
 */
async function httpError(response: Response): Promise<ClientError> {
  // Read as a frame: a body that is not one (HTML, say) is null, and no other frame type has
  // these fields.
  const body = readServerFrame(await response.json().catch(() => null)) as ErrorFrame | null
  const seconds = Number(response.headers.get('retry-after'))
  return new ClientError(body?.code ?? 'NETWORK', body?.message || `HTTP ${response.status}`, {
    retryAfterMs: body?.retryAfterMs ?? (seconds > 0 ? seconds * 1000 : undefined),
  })
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
  return (options: TransportConnectOptions) =>
    openAttempt(options, 'sse', ({ receive, answer, finish, lastError, signal }) => {
      const { token } = options
      const base = options.url.replace(/\/+$/, '')
      const parse = createSseParser(receive)

      const read = async () => {
        const response = await doFetch(`${base}/sse?v=${PROTOCOL_VERSION}`, {
          headers: {
            accept: 'text/event-stream',
            ...(token !== null && { authorization: `Bearer ${token}` }),
          },
          signal,
          cache: 'no-store',
        })
        if (!response.ok) throw await httpError(response)
        await response.body!.pipeThrough(new TextDecoderStream()).pipeTo(
          new WritableStream({
            write(text) {
              // Any bytes, heartbeat comments included, show the connection is alive.
              receive()
              parse(text)
            },
          }),
        )
        throw lastError() ?? new ClientError('NETWORK', 'SSE stream ended')
      }
      read().catch(finish)

      let posted: Promise<unknown> = Promise.resolve()
      return (body, frames, { connectionId, commandKey = '' }) => {
        posted = posted
          .then(async () => {
            // Once the attempt is over, a POST still queued fails at once on the aborted signal.
            const response = await doFetch(`${base}/sse/commands`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'sluice-connection': connectionId,
                'sluice-key': commandKey,
              },
              body,
              signal,
            })
            if (response.ok) return response.body?.cancel()
            const error = await httpError(response)
            // The stream this POST was bound to is gone or not ours: reconnecting is the only fix.
            if (response.status === 404 || response.status === 403) return finish(error)
            // Otherwise each command gets the error as an error frame, as it would over WebSocket,
            // so calls and publishes settle instead of waiting for their timeout, and what a
            // RATE_LIMITED answer lets be retried is retried after its delay.
            answer(
              frames
                .filter((frame) => frame.id)
                .map(
                  ({ id }): ErrorFrame => ({
                    type: 'error',
                    id,
                    code: error.code as ErrorFrame['code'],
                    message: error.message,
                    retryAfterMs: error.retryAfterMs,
                  }),
                ),
            )
          })
          .catch(finish)
      }
    })
}
