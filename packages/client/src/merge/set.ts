import type { JsonObject } from '@sluice/protocol'
import type { MergeStrategy } from '../store/types'
import type { Topic } from '../topic-schema'

/** An event a {@link set} store applies: `set` replaces the value with its data, `deleted` clears it. */
export type SetEvent<T> =
  | { kind: 'set'; key?: string; data: T; meta?: JsonObject }
  | { kind: 'deleted'; key?: string; data?: undefined; meta?: JsonObject }

/**
 * A topic kept by {@link set}, for a client's schema: its store holds the value (or null) and
 * clients publish {@link SetEvent}s.
 *
 * @example
 * const client = createClient<{ score: SetTopic<Score> }>({ url: '/realtime' })
 * await client.publish('score', { kind: 'set', data: { home: 1, away: 0 } })
 */
export type SetTopic<T> = Topic<T | null, SetEvent<T>>

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
