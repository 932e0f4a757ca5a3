import { encodeMessage, isErrorCode, PROTOCOL_VERSION, type WelcomeFrame } from '@sluice/protocol'
import { ClientError } from '../client-error'
import { decodeFrames } from './decode'
import { endpointUrl, type Transport, type TransportConnectOptions, type TransportFactory } from './types'

/** The part of the WebSocket API the client uses: the browser's, Node 22's global, or `ws`. */
export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: never) => void): void
}

/** A WebSocket constructor, e.g. `globalThis.WebSocket` or the default export of `ws`. */
export type WebSocketConstructor = new (url: string) => WebSocketLike

const OPEN = 1

/** `http(s)://host/base` → `ws(s)://host/base/ws?v=1&token=…` (browsers cannot set WS headers). */
export function webSocketUrl(base: string, token: string | null): string {
  const url = endpointUrl(base, '/ws', token, PROTOCOL_VERSION)
  url.protocol = url.protocol === 'https:' ? 'wss:' : url.protocol === 'http:' ? 'ws:' : url.protocol
  return url.toString()
}

function closeError(code: number, reason: string): ClientError {
  const known = isErrorCode(reason) ? reason : 'NETWORK'
  return new ClientError(known, `WebSocket closed with ${code}${reason ? ` ${reason}` : ''}`, {
    closeCode: code,
  })
}

/**
 * The WebSocket transport. Messages are JSON text: one frame, or an array for a batch.
 *
 * @param WebSocketImpl the constructor to use; when undefined the global one is looked up on each
 *   connect, and a missing one fails the connect with NETWORK so the client falls back to SSE.
 */
export function createWebSocketTransport(WebSocketImpl?: WebSocketConstructor): TransportFactory {
  return (options: TransportConnectOptions): Transport => {
    const { handlers, timers } = options
    const Ctor = WebSocketImpl ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
    let opened = false
    let done = false
    let socket: WebSocketLike | null = null
    let handshakeError: ClientError | null = null

    const finish = (error: ClientError | null) => {
      if (done) return
      done = true
      timers.clearTimeout(handshakeTimer)
      handlers.onClose({ opened, error })
    }

    const handshakeTimer = timers.setTimeout(() => {
      finish(new ClientError('NETWORK', `no welcome within ${options.handshakeTimeoutMs} ms over WebSocket`))
      socket?.close(1000)
    }, options.handshakeTimeoutMs)

    if (!Ctor) {
      // Reported asynchronously like any other connect failure, so callers see one code path.
      queueMicrotask(() =>
        finish(
          new ClientError(
            'NETWORK',
            "no WebSocket implementation: pass `WebSocket` (e.g. from 'ws') to createClient",
          ),
        ),
      )
    } else {
      try {
        socket = new Ctor(webSocketUrl(options.url, options.token))
      } catch (cause) {
        queueMicrotask(() => finish(new ClientError('NETWORK', 'WebSocket could not be created', { cause })))
      }
    }

    socket?.addEventListener('message', ((event: { data: unknown }) => {
      if (done) return
      handlers.onActivity()
      if (typeof event.data !== 'string') return
      const frames = decodeFrames(event.data)
      if (!opened) {
        const first = frames[0]
        if (first?.type === 'welcome') {
          opened = true
          timers.clearTimeout(handshakeTimer)
          handlers.onOpen(first as WelcomeFrame)
          frames.shift()
        } else if (first?.type === 'error') {
          // Kept for the close that follows: its reason alone may be less precise.
          handshakeError = new ClientError(first.code, first.message, { retryAfterMs: first.retryAfterMs })
          return
        }
      }
      if (frames.length > 0 && !done) handlers.onFrames(frames)
    }) as (event: never) => void)

    socket?.addEventListener('close', ((event: { code: number; reason: string }) => {
      const error = closeError(event.code, event.reason ?? '')
      finish(handshakeError && !opened ? handshakeError : error)
    }) as (event: never) => void)

    // Browsers give no detail on 'error'; the 'close' that always follows carries the code.
    socket?.addEventListener('error', (() => {}) as (event: never) => void)

    return {
      kind: 'ws',
      send(frames) {
        if (done || !socket || socket.readyState !== OPEN || frames.length === 0) return
        socket.send(encodeMessage(frames.length === 1 ? (frames[0] as (typeof frames)[number]) : frames))
      },
      close() {
        if (done) return
        finish(null)
        try {
          socket?.close(1000)
        } catch {
          // Closing a socket that is still connecting throws in some implementations.
        }
      },
    }
  }
}
