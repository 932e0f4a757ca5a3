import type { ClientFrame, ServerFrame } from '@sluice/protocol'
import type { SluiceClient } from './client'
import { ClientError } from './client-error'
import type { ConnectionState } from './connection-state'

/**
 * The key under which a client created by `createClient` carries its inspector tap. A
 * registered symbol (`Symbol.for`), so a devtools package bundled with another copy of
 * `@sluice/client` still finds it; not part of `SluiceClient`, as apps never call it.
 */
export const INSPECT: symbol = Symbol.for('sluice.inspect')

/**
 * What a development inspector is told, as it happens. The client calls `received` and `sent`
 * synchronously on its frame paths: keep each call cheap, and never throw (an inspector that
 * throws breaks the client it watches).
 */
export interface ClientInspector {
  /** A frame the open connection received, before the client handles it. */
  received(frame: ServerFrame): void
  /** A frame queued for sending on the open connection (frames are batched per tick after this). */
  sent(frame: ClientFrame): void
  /** The connection's state (`client.$connection`): once on attach, then at every change. */
  connection?(state: ConnectionState): void
}

/** What {@link inspect} returns. */
export interface InspectorHandle {
  /**
   * The ids of the commands awaiting their answer (subscribe, unsubscribe, setPresence, call,
   * publish, history, ping, auth), oldest first. A command issued while disconnected is here
   * before any frame carrying its id was sent.
   */
  pending(): string[]
  /** Stops telling the inspector. Idempotent. */
  detach(): void
}

/**
 * The tap a client carries under {@link INSPECT}: it stores the inspector (null detaches) and
 * returns the reader of its awaited answers. Kept this small because every client bundle has
 * it; {@link inspect} builds the rest.
 */
export type InspectTap = (inspector: ClientInspector | null) => () => string[]

// The inspectors attached to each client. The client holds one (its tap costs every bundle a
// field); here they are fanned out, so an overlay and a framework's devtools watch one client.
const attached = new WeakMap<object, { inspectors: Set<ClientInspector>; pending: () => string[] }>()

/**
 * Attaches a development inspector to a client: it sees every frame received and sent and every
 * connection state from now on. Several inspectors may watch one client. Without an inspector
 * the client pays one null check per frame; this function (and whatever imports it, such as
 * `@sluice/devtools`) is dropped from bundles that do not use it.
 *
 * @example
 * import { createClient, inspect } from '@sluice/client'
 *
 * const client = createClient({ url: 'https://example.com/realtime' })
 * const handle = inspect(client, {
 *   received: (frame) => console.debug('in', frame),
 *   sent: (frame) => console.debug('out', frame),
 *   connection: ({ status, transport, attempt }) => console.debug(status, transport, attempt),
 * })
 * console.debug('awaiting answers:', handle.pending())
 * handle.detach()
 * @param client a client created by `createClient` (typed with any schema)
 * @param inspector the callbacks told what happens
 * @returns the pending commands reader and `detach`
 */
export function inspect(
  client: Pick<SluiceClient, '$connection'>,
  inspector: ClientInspector,
): InspectorHandle {
  const tap = (client as unknown as Record<symbol, InspectTap | undefined>)[INSPECT]
  if (typeof tap !== 'function') {
    throw new ClientError('BAD_REQUEST', 'inspect: the client must be one created by createClient')
  }
  let taps = attached.get(client)
  if (!taps) {
    const inspectors = new Set<ClientInspector>()
    const fanOut: ClientInspector = {
      received(frame) {
        for (const each of inspectors) each.received(frame)
      },
      sent(frame) {
        for (const each of inspectors) each.sent(frame)
      },
    }
    taps = { inspectors, pending: tap(fanOut) }
    attached.set(client, taps)
  }
  const { inspectors, pending } = taps
  inspectors.add(inspector)
  const unlisten = inspector.connection ? client.$connection.subscribe(inspector.connection) : () => {}
  return {
    pending,
    detach() {
      if (!inspectors.delete(inspector)) return
      unlisten()
      if (inspectors.size) return
      attached.delete(client)
      tap(null)
    },
  }
}
