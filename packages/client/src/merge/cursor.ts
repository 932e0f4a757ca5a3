import type { Json, JsonObject } from '@sluice/protocol'
import type { MergeStrategy } from '../store/types'
import type { Topic } from '../topic-schema'
import { type KeyOption, keyReader, strategyKey } from './key'

/** Options of {@link cursor}. */
export interface CursorOptions<T> {
  /** The property (or a function) naming whose value an event carries; an event's `key` wins. @default 'id' */
  key?: KeyOption<T>
}

type SetKind = 'set' | 'created' | 'updated' | 'update' | 'join'
type RemoveKind = 'deleted' | 'leave'

/**
 * An event a {@link cursor} store applies: a set kind stores its data under its key (`key`, else
 * the value's key property), a remove kind removes the key.
 */
export type CursorEvent<T> =
  | { kind: SetKind; key?: string; data: T; meta?: JsonObject }
  | { kind: RemoveKind; key: string; data?: undefined; meta?: JsonObject }

/**
 * A topic kept by {@link cursor}, for a client's schema: its store maps keys to values and
 * clients publish {@link CursorEvent}s.
 *
 * @example
 * const client = createClient<{ 'doc:7:cursors': CursorTopic<Pointer> }>({ url: '/realtime' })
 * await client.publish('doc:7:cursors', { kind: 'set', key: 'ann', data: { userId: 'ann', x: 3, y: 4 } })
 */
export type CursorTopic<T> = Topic<ReadonlyMap<string, T>, CursorEvent<T>>

const SET_KINDS = new Set<string>(['set', 'created', 'updated', 'update', 'join'] satisfies SetKind[])
const REMOVE_KINDS = new Set<string>(['deleted', 'leave'] satisfies RemoveKind[])

/**
 * The latest value per key, order irrelevant: live cursors, typing indicators, positions on
 * a map. `set` / `created` / `updated` / `join` / `update` store the event's data under its key;
 * `deleted` / `leave` remove it. A snapshot is a `{ key: value }` object or an array of values.
 *
 * @example
 * const cursors = client.subscribe('doc:7:cursors', { merge: cursor<Pointer>({ key: 'userId' }) })
 * for (const [userId, pointer] of cursors.$state.get().data) draw(userId, pointer)
 */
/* @__NO_SIDE_EFFECTS__ */
export function cursor<T>(options: CursorOptions<T> = {}): MergeStrategy<ReadonlyMap<string, T>> {
  const { key = 'id' } = options
  const keyOf = keyReader<T>(key)
  return {
    key: strategyKey('cursor', key),
    initial: () => new Map(),
    apply(state, events) {
      let next: Map<string, T> | null = null
      for (const event of events) {
        const remove = REMOVE_KINDS.has(event.kind)
        if (!remove && !SET_KINDS.has(event.kind)) continue
        const data = event.data as T | undefined
        const key = event.key ?? (data === undefined ? undefined : keyOf(data))
        if (key === undefined) continue
        const current = next ?? state
        if (remove) {
          if (!current.has(key)) continue
          next ??= new Map(state)
          next.delete(key)
        } else {
          if (data === undefined || (current.has(key) && Object.is(current.get(key), data))) continue
          next ??= new Map(state)
          next.set(key, data)
        }
      }
      return next ?? state
    },
    fromSnapshot(data: Json) {
      const map = new Map<string, T>()
      if (Array.isArray(data)) {
        for (const value of data) {
          const key = keyOf(value as T)
          if (key !== undefined) map.set(key, value as T)
        }
      } else if (data !== null && typeof data === 'object') {
        for (const [key, value] of Object.entries(data)) map.set(key, value as T)
      } else {
        throw new TypeError(`cursor(): snapshot data must be an object or an array; received ${String(data)}`)
      }
      return map
    },
  }
}
