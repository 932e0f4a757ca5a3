import type { SluiceClient } from '@sluice/client'
import { useEffect, useRef } from 'react'

/** The part of a client `useSignal` needs. */
export type SignalClient = Pick<SluiceClient, 'onSignal'>

/**
 * Calls `handler` with the data of every `signal` frame named `name` (from the server's
 * `signal()` or `POST <base>/admin/signal`) while the component is mounted. The latest
 * `handler` is called, so an inline function is fine: it does not listen again on each render.
 * Signals are not stored: one sent while the component is not mounted is not seen.
 *
 * @example
 * useSignal<{ url: string }>(client, 'export.ready', ({ url }) => toast(`Your export is ready: ${url}`))
 */
export function useSignal<T = unknown>(client: SignalClient, name: string, handler: (data: T) => void): void {
  const latest = useRef(handler)
  // Updated after each commit: a signal is dispatched outside rendering, so it sees the handler
  // of the last committed render.
  useEffect(() => {
    latest.current = handler
  })
  useEffect(() => client.onSignal<T>(name, (data) => latest.current(data)), [client, name])
}
