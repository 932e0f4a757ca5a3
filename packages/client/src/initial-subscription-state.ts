import type { Position } from '@sluice/protocol'
import type { SubscriptionState } from './store/types'
import type { SubscribeOptions } from './subscriptions'

/**
 * What a subscription with these options shows before anything arrives: `initialData` (at
 * `initialPosition`) if given, else the merge strategy's empty state, with status `idle`.
 * Bindings render it on the server and before the first subscribe, so it matches the store's
 * own starting state exactly (the store starts from it).
 *
 * @example
 * const state = initialSubscriptionState({ merge: crud<Todo>(), initialData })
 * // { data: initialData, status: 'idle', error: null, stale: null, position: null }
 * @param options - the options later passed to `client.subscribe`
 * @returns the state `sub.$state` starts with
 */
export function initialSubscriptionState<TData>({
  merge,
  initialData,
  initialPosition,
}: Pick<SubscribeOptions<TData>, 'merge' | 'initialData'> & {
  initialPosition?: Position | null
}): SubscriptionState<TData> {
  const seeded = initialData !== undefined
  return {
    data: seeded ? initialData : merge.initial(),
    status: 'idle',
    error: null,
    stale: null,
    position: (seeded && initialPosition) || null,
  }
}
