import type { TransportKind } from './connection-state'
import type { WebSocketConstructor } from './transport/websocket'

/**
 * Checks an injected WebSocket implementation early, where the mistake is made, instead of
 * failing on the first connect with an opaque "is not a constructor".
 */
function assertWebSocketConstructor(value: unknown): asserts value is WebSocketConstructor {
  const proto =
    typeof value === 'function' ? (value as { prototype?: Record<string, unknown> }).prototype : undefined
  if (!proto || typeof proto.send !== 'function' || typeof proto.addEventListener !== 'function') {
    throw new TypeError(
      'createClient: options.WebSocket must be a WebSocket constructor with send() and addEventListener(), ' +
        "e.g. `import WebSocket from 'ws'` on Node 20 or `globalThis.WebSocket` in browsers",
    )
  }
}

/**
 * Development-only checks of createClient's options: each names the mistake and the fix.
 * createClient calls this behind a `process.env.NODE_ENV !== 'production'` guard, so production
 * bundles carry none of these messages (a misconfigured client then fails on connect).
 */
export function checkOptions(
  options: { url: unknown; WebSocket?: unknown },
  transports: TransportKind[],
): void {
  const { url } = options
  if (typeof url !== 'string' || !/^(https?|wss?):\/\//.test(url)) {
    throw new TypeError(
      `createClient: options.url must be an http(s) URL such as 'https://example.com/realtime', received ${JSON.stringify(url)}`,
    )
  }
  if (transports.length === 0)
    throw new TypeError('createClient: options.transports must name at least one transport')
  if (options.WebSocket !== undefined) assertWebSocketConstructor(options.WebSocket)
  else if (
    transports.includes('ws') &&
    typeof (globalThis as { WebSocket?: unknown }).WebSocket !== 'function'
  ) {
    // Node 20 has no global WebSocket: without this hint the client silently lives on SSE.
    console.warn(
      "[sluice] createClient: no global WebSocket here, so the 'ws' transport will fail over to SSE. " +
        "Pass one: `createClient({ WebSocket })` with `import WebSocket from 'ws'`.",
    )
  }
}
