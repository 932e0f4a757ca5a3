import type { SubscribeOptions, SubscriptionState } from '@sluice/client'

/** What a subscription shows before it starts: `initialData` or the strategy's empty state. */
export function initialState<TData>(options: SubscribeOptions<TData>): SubscriptionState<TData> {
  return {
    data: options.initialData === undefined ? options.merge.initial() : options.initialData,
    status: 'idle',
    error: null,
    position: null,
  }
}
