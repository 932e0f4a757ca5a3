import type { SluiceClient } from '@sluice/client'
import { onClient } from './on-client'
import { onScopeStop } from './on-scope-stop'

/** The part of a client `useSignal` needs. */
export type SignalClient = Pick<SluiceClient, 'onSignal'>

/**
 * Calls `handler` with the data of every `signal` frame named `name` (from the server's
 * `signal()` or `POST <base>/admin/signal`) from mount (at once outside a component) until the
 * effect scope stops. Signals are not stored: one sent before or after is not seen.
 *
 * @example
 * useSignal<{ url: string }>(client, 'export.ready', ({ url }) => toast(`Your export is ready: ${url}`))
 */
export function useSignal<T = unknown>(client: SignalClient, name: string, handler: (data: T) => void): void {
  let stop: (() => void) | null = null
  onClient(() => {
    stop = client.onSignal<T>(name, handler)
  })
  onScopeStop('useSignal', () => stop?.())
}
