import type { EventFrame, Json } from '@sluice/protocol'
import type { MergeStrategy } from '../store/types'

/** Options of {@link custom}. */
export interface CustomOptions<TData> {
  /** Turns snapshot data into state. @default the data as is */
  fromSnapshot?: (data: Json) => TData
}

/**
 * Your own reducer, called once per event. It must not mutate `state`: return a new value
 * when something changed and `state` itself when nothing did (subscribers are notified only
 * on a new reference). `initial` may be a value or a function making one.
 *
 * @example
 * const count = custom<number>((n, event) => (event.kind === 'tick' ? n + 1 : n), 0)
 */
/* @__NO_SIDE_EFFECTS__ */
export function custom<TData>(
  reducer: (state: TData, event: EventFrame) => TData,
  initial: TData | (() => TData),
  options: CustomOptions<TData> = {},
): MergeStrategy<TData> {
  const makeInitial = typeof initial === 'function' ? (initial as () => TData) : () => initial
  return {
    initial: makeInitial,
    apply(state, events) {
      let next = state
      for (const event of events) next = reducer(next, event)
      return next
    },
    ...(options.fromSnapshot && { fromSnapshot: options.fromSnapshot }),
  }
}
