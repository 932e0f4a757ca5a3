import type { MergeStrategy, SubscribeOptions } from '@sluice/client'
import { useEffect, useRef } from 'react'
import type { RealtimeClient } from './realtime-client'
import { useClient } from './sluice-provider'

/** One event of a topic as the client received it: `{ kind, key, data, meta, seq, ... }`. */
export type RealtimeEvent = Parameters<MergeStrategy<unknown>['apply']>[1][number]

/** Options of {@link useEvent}. */
export interface UseEventOptions {
  /** Only events whose `meta` matches, as `useRealtime`'s `filter`; compared by JSON. */
  filter?: SubscribeOptions<unknown>['filter']
}

/**
 * Calls `handler` with every event of `topic` that arrives while the component is mounted, in
 * order: for toasts, sounds, analytics, anything that reacts to an event rather than renders
 * state. The latest `handler` is called, so an inline function is fine: it does not subscribe
 * again on each render. Events are not stored, and the component does not re-render for them.
 *
 * @example
 * useEvent(client, 'orders', (event) => {
 *   if (event.kind === 'created') toast(`New order ${event.key}`)
 * })
 */
export function useEvent(
  client: RealtimeClient,
  topic: string,
  handler: (event: RealtimeEvent) => void,
  options?: UseEventOptions,
): void
/** The same, with the client of the nearest {@link SluiceProvider}. */
export function useEvent(
  topic: string,
  handler: (event: RealtimeEvent) => void,
  options?: UseEventOptions,
): void
export function useEvent(
  ...args:
    | [RealtimeClient, string, (event: RealtimeEvent) => void, UseEventOptions?]
    | [string, (event: RealtimeEvent) => void, UseEventOptions?]
): void {
  const withClient = typeof args[0] !== 'string'
  const fromContext = useClient(!withClient)
  const [client, topic, handler, options = {}] = withClient
    ? (args as [RealtimeClient, string, (event: RealtimeEvent) => void, UseEventOptions?])
    : ([fromContext!, ...args] as [RealtimeClient, string, (event: RealtimeEvent) => void, UseEventOptions?])
  const latest = useRef(handler)
  // Updated after each commit: events are delivered outside rendering, so they see the handler
  // of the last committed render.
  useEffect(() => {
    latest.current = handler
  })
  const filterKey = options.filter === undefined ? '' : JSON.stringify(options.filter)
  useEffect(() => {
    // A strategy object of its own, without a `key`: the store it makes is this hook's alone
    // (the server subscription is still shared), so `apply` sees each confirmed event once and
    // never an optimistic one. It keeps no state: returning `state` notifies nobody.
    const merge: MergeStrategy<null> = {
      initial: () => null,
      apply(state, events) {
        for (const event of events) {
          try {
            latest.current(event)
          } catch (error) {
            // A throwing handler must not stop the store's flush nor the events after it.
            queueMicrotask(() => {
              throw error
            })
          }
        }
        return state
      },
    }
    const filter = filterKey === '' ? undefined : (JSON.parse(filterKey) as UseEventOptions['filter'])
    const subscription = client.subscribe(topic, { merge, ...(filter !== undefined && { filter }) })
    return () => subscription.unsubscribe()
  }, [client, topic, filterKey])
}
