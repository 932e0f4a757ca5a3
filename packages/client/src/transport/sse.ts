import {
  type ClientFrame,
  type ErrorFrame,
  encodeMessage,
  isErrorCode,
  PROTOCOL_VERSION,
  type ServerFrame,
  type WelcomeFrame,
} from '@sluice/protocol'
import { createParser } from 'eventsource-parser'
import { ClientError } from '../client-error'
import { decodeFrames } from './decode'
import { endpointUrl, type Transport, type TransportConnectOptions, type TransportFactory } from './types'

/** The subset of `fetch` the SSE transport needs. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

async function httpError(response: Response, what: string): Promise<ClientError> {
  let body: Partial<ErrorFrame> | null = null
  try {
    body = (await response.json()) as Partial<ErrorFrame>
  } catch {
    // Not a Sluice server (a proxy's HTML page, say): the status alone has to do.
  }
  const code = body && isErrorCode(body.code) ? body.code : 'NETWORK'
  const header = Number(response.headers.get('retry-after'))
  const retryAfterMs = body?.retryAfterMs ?? (header > 0 ? header * 1000 : undefined)
  const message =
    typeof body?.message === 'string' ? body.message : `${what} failed with HTTP ${response.status}`
  return new ClientError(code, message, { retryAfterMs })
}

/**
 * The Server-Sent Events transport: `fetch` of `<base>/sse` read as a stream (so it can send an
 * `Authorization` header, which `EventSource` cannot), and commands as `POST <base>/sse/commands`
 * bound to the stream by the `connectionId`/`commandKey` of its welcome.
 *
 * Command POSTs go one at a time: two requests in flight may reach the server in either order,
 * and a subscribe must not overtake the publish issued before it.
 */
export function createSseTransport(fetchImpl?: FetchLike): TransportFactory {
  return (options: TransportConnectOptions): Transport => {
    const { handlers, timers } = options
    const doFetch: FetchLike | undefined =
      fetchImpl ?? (globalThis.fetch ? (i, init) => globalThis.fetch(i, init) : undefined)
    const abort = new AbortController()
    const base = options.url.replace(/\/+$/, '')
    let opened = false
    let done = false
    let welcome: WelcomeFrame | null = null
    let lastError: ClientError | null = null
    const outbox: (readonly ClientFrame[])[] = []
    let posting = false

    const finish = (error: ClientError | null) => {
      if (done) return
      done = true
      timers.clearTimeout(handshakeTimer)
      abort.abort()
      handlers.onClose({ opened, error })
    }

    const handshakeTimer = timers.setTimeout(
      () => finish(new ClientError('NETWORK', `no welcome within ${options.handshakeTimeoutMs} ms over SSE`)),
      options.handshakeTimeoutMs,
    )

    const deliver = (frames: ServerFrame[]) => {
      if (!opened) {
        const first = frames[0]
        if (first?.type !== 'welcome') {
          if (first?.type === 'error') lastError = new ClientError(first.code, first.message)
          return
        }
        opened = true
        welcome = first
        timers.clearTimeout(handshakeTimer)
        handlers.onOpen(first)
        frames.shift()
      }
      for (const frame of frames) {
        // Remembered so the end of the stream reports why (TOKEN_EXPIRED, SLOW_CONSUMER...).
        if (frame.type === 'error' && frame.id === undefined) {
          lastError = new ClientError(frame.code, frame.message, { retryAfterMs: frame.retryAfterMs })
        }
      }
      if (frames.length > 0 && !done) handlers.onFrames(frames)
    }

    const parser = createParser({
      onEvent: (message) => {
        if (done) return
        handlers.onActivity()
        deliver(decodeFrames(message.data))
      },
      onComment: () => {
        if (!done) handlers.onActivity()
      },
    })

    const read = async () => {
      if (!doFetch) throw new ClientError('NETWORK', 'no fetch implementation: pass `fetch` to createClient')
      const headers: Record<string, string> = { accept: 'text/event-stream' }
      if (options.token !== null) headers.authorization = `Bearer ${options.token}`
      const url = endpointUrl(base, '/sse', null, PROTOCOL_VERSION).toString()
      const response = await doFetch(url, { headers, signal: abort.signal, cache: 'no-store' })
      if (!response.ok) throw await httpError(response, 'SSE connect')
      if (!response.body) throw new ClientError('NETWORK', 'SSE response has no body stream')
      const reader = response.body.getReader()
      const decoder = new TextDecoder()
      for (;;) {
        const { value, done: end } = await reader.read()
        if (end) break
        parser.feed(decoder.decode(value, { stream: true }))
      }
      throw lastError ?? new ClientError('NETWORK', 'SSE stream ended')
    }

    read().catch((cause: unknown) => {
      if (done) return
      finish(
        cause instanceof ClientError ? cause : new ClientError('NETWORK', 'SSE stream failed', { cause }),
      )
    })

    // Errors of a command POST come back as error frames for each command id, as they would
    // over WebSocket, so calls and publishes settle instead of waiting for their timeout.
    const rejectFrames = (frames: readonly ClientFrame[], error: ClientError) => {
      const replies: ServerFrame[] = []
      for (const frame of frames) {
        if (frame.id !== undefined && frame.type !== 'ping') {
          replies.push({
            type: 'error',
            id: frame.id,
            code: error.code as ErrorFrame['code'],
            message: error.message,
          })
        }
      }
      if (replies.length > 0 && !done) handlers.onFrames(replies)
    }

    const pump = async () => {
      if (posting || !welcome || !doFetch) return
      posting = true
      try {
        for (let frames = outbox.shift(); frames && !done; frames = outbox.shift()) {
          const response = await doFetch(`${base}/sse/commands`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'sluice-connection': welcome.connectionId,
              'sluice-key': welcome.commandKey ?? '',
            },
            body: encodeMessage(frames.length === 1 ? (frames[0] as ClientFrame) : frames),
            signal: abort.signal,
          })
          if (response.ok) {
            await response.body?.cancel()
            continue
          }
          const error = await httpError(response, 'SSE command POST')
          // The stream this POST was bound to is gone or not ours: reconnecting is the only fix.
          if (response.status === 404 || response.status === 403) return finish(error)
          rejectFrames(frames, error)
        }
      } catch (cause) {
        if (!done) finish(new ClientError('NETWORK', 'SSE command POST failed', { cause }))
      } finally {
        posting = false
      }
    }

    return {
      kind: 'sse',
      send(frames) {
        if (done || !welcome || frames.length === 0) return
        outbox.push(frames)
        void pump()
      },
      close() {
        finish(null)
      },
    }
  }
}
