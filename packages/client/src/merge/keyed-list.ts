import type { EventFrame } from '@sluice/protocol'

/**
 * An ordered list of items with O(1) lookup by key. `items` is a new array after every batch
 * that changed something, and the same array otherwise.
 */
export interface KeyedList<T> {
  readonly items: readonly T[]
  /** The item with this key, in O(1). */
  get(key: string): T | undefined
  has(key: string): boolean
}

/** What an event does to the item its key names; `null` ignores the event. */
export type KeyedOp = 'create' | 'update' | 'remove' | null

/** The policy shared by `crud` and `presence`. */
export interface KeyedListPolicy<T> {
  keyOf: (item: T) => string | undefined
  classify: (kind: string) => KeyedOp
  /** New keys go to the front (newest first) instead of the end. */
  prepend: boolean
  /** `update` shallow-merges the event's data into the existing item instead of replacing it. */
  patch: boolean
}

// The key → position map is the expensive part to copy (a 100k-entry Map takes milliseconds),
// so it is not copied per batch: the newest state owns it and the next batch mutates it in
// place, handing ownership on. A state that lost ownership (an older state applied again, as the
// store does to re-derive optimistic changes on top of confirmed state) rebuilds its own map
// from its `keys` on first use. Every state therefore still behaves as an immutable value.
interface Table {
  map: Map<string, number>
  owner: object | null
}

interface Internal<T> {
  /** Items in insertion order (oldest first); `items` itself unless prepending. */
  order: readonly T[]
  /**
   * The key of each entry of `order` (items need not carry their key: an event may name it):
   * its first `order.length` entries. The array may be longer, because the state after this one
   * appended to it in place — appending at the tip of a shared array changes no one's prefix.
   */
  keys: string[]
  table: Table
}

const internals = new WeakMap<object, Internal<unknown>>()
const HOLE: unique symbol = Symbol('hole')
type Slot<T> = T | typeof HOLE

function tableOf<T>(state: KeyedList<T>, internal: Internal<T>): Table {
  if (internal.table.owner !== state) {
    const map = new Map<string, number>()
    const { keys, order } = internal
    for (let i = 0; i < order.length; i++) map.set(keys[i]!, i)
    internal.table = { map, owner: state }
  }
  return internal.table
}

function makeList<T>(
  order: readonly T[],
  keys: string[],
  map: Map<string, number>,
  prepend: boolean,
): KeyedList<T> {
  const items = prepend ? order.slice().reverse() : order
  const state: KeyedList<T> = {
    items,
    get(key) {
      const at = tableOf(state, internal).map.get(key)
      return at === undefined ? undefined : internal.order[at]
    },
    has: (key) => tableOf(state, internal).map.has(key),
  }
  const internal: Internal<T> = { order, keys, table: { map, owner: state } }
  internals.set(state, internal as Internal<unknown>)
  return state
}

// States made by these functions carry their internals; a list built by hand (say, restored
// from storage) is adopted by reading keys from its items.
function internalOf<T>(state: KeyedList<T>, policy: KeyedListPolicy<T>): Internal<T> {
  const known = internals.get(state) as Internal<T> | undefined
  if (known) return known
  const adopted = keyedListFrom(policy.prepend ? state.items.slice().reverse() : state.items, {
    ...policy,
    prepend: false,
  })
  const internal = internals.get(adopted) as Internal<T>
  const own: Internal<T> = {
    order: internal.order,
    keys: internal.keys,
    table: { map: internal.table.map, owner: state },
  }
  internals.set(state, own as Internal<unknown>)
  return own
}

/** An empty list; a fresh one per call, since states are never shared between stores. */
export function emptyKeyedList<T>(): KeyedList<T> {
  return makeList<T>([], [], new Map(), false)
}

/**
 * Builds a list from snapshot items, in the snapshot's order (also when prepending: the
 * server's order is the one to show). Of duplicate keys, the later item wins.
 */
export function keyedListFrom<T>(source: readonly unknown[], policy: KeyedListPolicy<T>): KeyedList<T> {
  const order: T[] = []
  const keys: string[] = []
  const map = new Map<string, number>()
  // Prepend mode keeps insertion order oldest first, so the snapshot is read back to front.
  const step = policy.prepend ? -1 : 1
  for (let i = policy.prepend ? source.length - 1 : 0; i >= 0 && i < source.length; i += step) {
    const item = source[i] as T
    const key = policy.keyOf(item)
    if (key === undefined) continue
    const at = map.get(key)
    if (at !== undefined) {
      // Read front to back, a duplicate replaces the earlier entry; read back to front
      // (prepending), the entry already kept is the later one.
      if (!policy.prepend) order[at] = item
      continue
    }
    map.set(key, order.push(item) - 1)
    keys.push(key)
  }
  return makeList(order, keys, map, policy.prepend)
}

/**
 * Applies a batch of events. The first change copies the items once; every event after that
 * costs O(1) (a removal leaves a hole, closed in one pass at the end of the batch), so a batch
 * of k events on n items costs O(n + k) with small constants: array copies, no Map copy.
 */
export function applyToKeyedList<T>(
  state: KeyedList<T>,
  events: readonly EventFrame[],
  policy: KeyedListPolicy<T>,
): KeyedList<T> {
  if (events.length === 0) return state
  const { keyOf, classify, prepend, patch } = policy
  const internal = internalOf(state, policy)
  const table = tableOf(state, internal)
  const map = table.map
  // Taken for the batch: if anything below throws, the state rebuilds a clean map on next use.
  table.owner = null

  let order: Slot<T>[] | null = null
  let keys: string[] | null = null
  let keysShared = false
  let firstHole = -1

  for (let e = 0; e < events.length; e++) {
    const event = events[e]!
    const op = classify(event.kind)
    if (op === null) continue
    const data = event.data as T | undefined
    const key = event.key ?? (data === undefined ? undefined : keyOf(data))
    if (key === undefined) continue
    const at = map.get(key)

    if (op === 'remove') {
      if (at === undefined) continue
      order ??= internal.order.slice()
      // Closing holes rewrites keys in place, which a shared array must never see.
      if (keys === null) keys = internal.keys.slice(0, internal.order.length)
      else if (keysShared) keys = keys.slice()
      keysShared = false
      order[at] = HOLE
      map.delete(key)
      if (firstHole === -1 || at < firstHole) firstHole = at
      continue
    }

    if (data === undefined) continue
    if (at === undefined) {
      order ??= internal.order.slice()
      if (keys === null) {
        keysShared = internal.keys.length === internal.order.length
        keys = keysShared ? internal.keys : internal.keys.slice(0, internal.order.length)
      }
      map.set(key, order.push(data) - 1)
      keys.push(key)
      continue
    }

    const current = (order ?? internal.order)[at] as T
    const next =
      op === 'update' && patch && isPlainObject(current) && isPlainObject(data)
        ? { ...current, ...data }
        : data
    if (Object.is(current, next)) continue
    order ??= internal.order.slice()
    order[at] = next
  }

  if (order === null) {
    table.owner = state
    return state
  }
  if (firstHole !== -1) {
    // Close the holes in place; only entries behind the first hole move, so only their
    // positions are rewritten.
    const finalKeys = keys!
    let write = firstHole
    for (let read = firstHole; read < order.length; read++) {
      const item = order[read]!
      if (item === HOLE) continue
      order[write] = item
      finalKeys[write] = finalKeys[read]!
      map.set(finalKeys[write]!, write)
      write++
    }
    order.length = write
    finalKeys.length = write
  }
  return makeList(order as T[], keys ?? internal.keys, map, prepend)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
