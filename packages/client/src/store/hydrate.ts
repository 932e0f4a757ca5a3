import type { Json, Position } from '@sluice/protocol'
import type { SubscriptionSink } from './types'

/**
 * Seeds a store with data rendered on the server, so the first client render shows it
 * instead of a loading state. `data` is snapshot-shaped (what your snapshot provider
 * returns, e.g. the items array for `crud`) and goes through the strategy's `fromSnapshot`.
 *
 * The store is left alone when it already holds something newer: a position of the same
 * log past `position`, or any position when `position` is not given or names another log —
 * live data wins over a page that may be seconds old.
 *
 * SSR recipe: on the server, render with `initialData: merge.fromSnapshot(json)` (the hooks of
 * `@sluice/react` and `@sluice/vue` return it without subscribing), serialise the same JSON into
 * the page, and build `initialData` from it again in the browser — or call `hydrate` with the
 * JSON on a store you manage yourself. Subscribing happens only in the browser, after mount.
 *
 * @param store - the store to seed.
 * @param data - snapshot-shaped data, as rendered on the server.
 * @param position - where in the topic's log `data` was taken; lets the client resume after it.
 * @returns whether the store took the data.
 * @example
 * hydrate(store, window.__TODOS__, { epoch: 'k2x', seq: 42 })
 */
export function hydrate(
  store: SubscriptionSink<unknown>,
  data: unknown,
  position?: Position | null,
): boolean {
  const current = store.$state.get().position
  if (current !== null) {
    if (!position || position.epoch !== current.epoch || position.seq <= current.seq) return false
  }
  store.setSnapshot(data as Json, position ?? null)
  return true
}
