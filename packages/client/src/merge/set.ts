import type { MergeStrategy } from '../store/types'

/**
 * One value, replaced by each event's data: a status, a score, a document edited as a whole.
 * A `deleted` event clears it to `null`. A snapshot is the value itself.
 *
 * @example
 * const score = client.subscribe<Score | null>('match:9:score', { merge: set<Score>() })
 */
/* @__NO_SIDE_EFFECTS__ */
export function set<T>(): MergeStrategy<T | null> {
  return {
    key: 'set',
    initial: () => null,
    apply(state, events) {
      const last = events[events.length - 1]
      if (last === undefined) return state
      const next = last.kind === 'deleted' ? null : ((last.data ?? null) as T | null)
      return Object.is(next, state) ? state : next
    },
    fromSnapshot: (data) => data as T | null,
  }
}
