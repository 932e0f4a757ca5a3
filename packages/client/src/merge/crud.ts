import type { JsonObject } from '@sluice/protocol'
import type { MergeStrategy } from '../store/types'
import type { Topic } from '../topic-schema'
import { type KeyOption, keyReader, strategyKey } from './key'
import { type KeyedList, keyedListStrategy } from './keyed-list'

/** The state of a {@link crud} store: the items in order, and where each key sits. */
export type CrudState<T> = KeyedList<T>

/**
 * An event a {@link crud} store applies, as a client publishes it: `created` and `updated`
 * carry the item (keyed by `key`, else by the item's key property), `deleted` names the key.
 * `TUpdate` is what `updated` carries: `Partial<T>` with `crud({ patch: true })`.
 */
export type CrudEvent<T, TUpdate = T> =
  | { kind: 'created'; key?: string; data: T; meta?: JsonObject }
  | { kind: 'updated'; key?: string; data: TUpdate; meta?: JsonObject }
  | { kind: 'deleted'; key: string; data?: T; meta?: JsonObject }

/**
 * A topic kept by {@link crud}, for a client's schema: its store holds a {@link CrudState} and
 * clients publish {@link CrudEvent}s.
 *
 * @example
 * const client = createClient<{ todos: CrudTopic<Todo> }>({ url: '/realtime' })
 * await client.publish('todos', { kind: 'created', key: 't1', data: { id: 't1', title: 'Ship' } })
 */
export type CrudTopic<T, TUpdate = T> = Topic<CrudState<T>, CrudEvent<T, TUpdate>>

/** Options of {@link crud}. */
export interface CrudOptions<T> {
  /** The item property (or a function) naming an item; an event's `key` takes precedence. @default 'id' */
  key?: KeyOption<T>
  /** Put new items first (a feed, newest on top) instead of last. @default false */
  prepend?: boolean
  /** `updated` shallow-merges its data into the item instead of replacing it (partial updates). @default false */
  patch?: boolean
}

/**
 * A list of entities kept in sync by `created` / `updated` / `deleted` events. Writes are
 * upserts: `created` for a known key updates it, `updated` for an unknown key inserts it,
 * `deleted` of an unknown key does nothing. Other kinds are ignored. A snapshot is an array of
 * items (or `{ items }`). An update costs the same from 1k to 100k+ items: it copies one
 * chunk of 64 items, never the whole list. `data.items` is built on first read (O(size), once
 * per state); big lists render cheaper through `size`, `at(i)`, `slice(start, end)` or iteration.
 *
 * @example
 * const todos = client.subscribe<CrudState<Todo>>('todos', { merge: crud<Todo>({ key: 'id' }) })
 * todos.$state.get().data.items // readonly Todo[]
 * todos.$state.get().data.slice(0, 50) // the first 50, without building `items`
 */
/* @__NO_SIDE_EFFECTS__ */
export function crud<T>(options: CrudOptions<T> = {}): MergeStrategy<CrudState<T>> {
  const { key = 'id', prepend = false, patch = false } = options
  // `prepend` and `patch` pass through as they are.
  return keyedListStrategy(
    {
      ...options,
      keyOf: keyReader<T>(key),
      kinds: ['created', 'updated', 'deleted'] as const satisfies readonly CrudEvent<T>['kind'][],
    },
    'items',
    'crud',
    strategyKey('crud', key, prepend, patch),
  )
}
