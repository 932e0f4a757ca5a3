import { isErrorCode, PROTOCOL_VERSION } from '@sluice/protocol'
import { ClientError } from '../client-error'
import { openAttempt } from './attempt'
import type { TransportConnectOptions, TransportFactory } from './types'

/** The part of the WebSocket API the client uses: the browser's, Node 22's global, or `ws`. */
export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: never) => void): void
}

/** A WebSocket constructor, e.g. `globalThis.WebSocket` or the default export of `ws`. */
export type WebSocketConstructor = new (url: string) => WebSocketLike

/**
 * The WebSocket transport. Messages are JSON text: one frame, or an array for a batch. The
 * endpoint is `ws(s)://host/base/ws?v=1&token=…`: browsers cannot set headers on a WebSocket.
 *
 * @param WebSocketImpl the constructor to use; when undefined the global one is looked up on each
 *   connect, and a missing one fails the connect with NETWORK (the constructor call throws) so
 *   the client falls back to SSE.
 */
export function createWebSocketTransport(WebSocketImpl?: WebSocketConstructor): TransportFactory {
  return (options: TransportConnectOptions) =>
    openAttempt(options, 'ws', ({ receive, finish, signal }) => {
      const { url, token } = options
      const socket = new (WebSocketImpl ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket)!(
        `${url.replace(/^http/, 'ws').replace(/\/+$/, '')}/ws?v=${PROTOCOL_VERSION}` +
          (token === null ? '' : `&token=${encodeURIComponent(token)}`),
      )
      signal.addEventListener('abort', () => {
        try {
          socket.close(1000)
        } catch {
          // Closing a socket that is still connecting throws in some implementations.
        }
      })
      socket.addEventListener('message', ((event: { data: unknown }) => receive(event.data)) as never)
      socket.addEventListener('close', (({ code, reason }: { code: number; reason?: string }) =>
        finish(
          new ClientError(
            isErrorCode(reason) ? reason : 'NETWORK',
            `closed with ${code}${reason ? ` ${reason}` : ''}`,
            {
              closeCode: code,
            },
          ),
        )) as never)
      // Node's `ws` throws on an 'error' nobody listens to; the 'close' that always follows
      // carries the code (browsers give no detail on 'error' anyway).
      socket.addEventListener('error', (() => {}) as never)
      // 1 = OPEN: nothing is sent after a close.
      return (text) => socket.readyState === 1 && socket.send(text)
    })
}
