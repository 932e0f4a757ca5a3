import { ClientError } from './client-error'
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
    throw new ClientError(
      'BAD_REQUEST',
      'createClient: options.WebSocket must be a WebSocket constructor with send() and addEventListener(), ' +
        "e.g. `import WebSocket from 'ws'` or `globalThis.WebSocket`",
    )
  }
}

const hasPage = () => typeof (globalThis as { location?: { href?: unknown } }).location?.href === 'string'

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
  const example = "an absolute http(s) URL such as 'https://example.com/realtime'"
  if (typeof url === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(url) && !hasPage()) {
    throw new ClientError(
      'BAD_REQUEST',
      `createClient: options.url '${url}' is relative and there is no page to resolve it against; pass ${example}`,
    )
  }
  if (typeof url !== 'string' || !/^((https?|wss?):\/\/|[^:]*$)/.test(url)) {
    throw new ClientError(
      'BAD_REQUEST',
      `createClient: options.url must be ${example} (or one relative to the page), received ${JSON.stringify(url)}`,
    )
  }
  if (transports.length === 0)
    throw new ClientError('BAD_REQUEST', 'createClient: options.transports must name at least one transport')
  if (options.WebSocket !== undefined) assertWebSocketConstructor(options.WebSocket)
  else if (
    transports.includes('ws') &&
    typeof (globalThis as { WebSocket?: unknown }).WebSocket !== 'function'
  ) {
    // A runtime without a global WebSocket (some workers, Node before 22): without this hint the
    // client silently lives on SSE.
    console.warn(
      "[sluice] createClient: no global WebSocket here, so the 'ws' transport will fail over to SSE. " +
        "Pass one: `createClient({ WebSocket })` with `import WebSocket from 'ws'`.",
    )
  }
}
