import type { EventKind, JsonObject } from '@sluice/protocol'
import type { MergeStrategy } from '../store/types'
import type { Topic } from '../topic-schema'
import { snapshotArray } from './snapshot-array'

/** An event a {@link latest} store keeps: any kind, with an entry as its data. */
export interface LatestEvent<T> {
  kind: EventKind
  key?: string
  data: T
  meta?: JsonObject
}

/**
 * A topic kept by {@link latest}, for a client's schema: its store holds the last entries and
 * clients publish {@link LatestEvent}s.
 *
 * @example
 * const client = createClient<{ chat: LatestTopic<Message> }>({ url: '/realtime' })
 * await client.publish('chat', { kind: 'said', data: { text: 'hi' } })
 */
export type LatestTopic<T> = Topic<readonly T[], LatestEvent<T>>

/** Options of {@link latest}. */
export interface LatestOptions {
  /** How many entries to keep; older ones fall off. @default 50 */
  size?: number
}

/**
 * The data of the last `size` events, oldest first: a chat tail, an activity log, a ticker.
 * Events without data are skipped. A snapshot is an array (its last `size` entries are kept).
 *
 * @example
 * const feed = client.subscribe<Message[]>('room:1', { merge: latest<Message>({ size: 100 }) })
 */
/* @__NO_SIDE_EFFECTS__ */
export function latest<T>(options: LatestOptions = {}): MergeStrategy<readonly T[]> {
  const { size = 50 } = options
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new RangeError(`latest(): size must be a positive integer; received ${String(size)}`)
  }
  return {
    key: `latest:${size}`,
    initial: () => [],
    apply(state, events) {
      let added = 0
      for (const event of events) if (event.data !== undefined) added++
      if (added === 0) return state
      // Only the newest `size` entries of the batch can survive; skip the rest unread.
      const keepOld = Math.max(0, size - added)
      const next: T[] = state.length > keepOld ? state.slice(state.length - keepOld) : state.slice()
      let skip = Math.max(0, added - size)
      for (const event of events) {
        if (event.data === undefined) continue
        if (skip > 0) {
          skip--
          continue
        }
        next.push(event.data as T)
      }
      return next
    },
    // The older entries go first, as many as fit under `size` (a full tail takes none).
    older(state, events) {
      const room = size - state.length
      if (room <= 0) return state
      const data: T[] = []
      for (const event of events) if (event.data !== undefined) data.push(event.data as T)
      return data.length ? [...data.slice(Math.max(0, data.length - room)), ...state] : state
    },
    fromSnapshot: (data) => {
      const items = snapshotArray(data, 'items', 'latest') as readonly T[]
      return items.length > size ? items.slice(items.length - size) : items
    },
  }
}
