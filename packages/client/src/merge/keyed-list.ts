import type { EventFrame } from '@sluice/protocol'

/**
 * An ordered list of items with an index from key to position, so an update finds its item
 * in O(1). Both are immutable: a batch that changes anything returns a new list.
 */
export interface KeyedList<T> {
  readonly items: readonly T[]
  readonly index: ReadonlyMap<string, number>
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

const HOLE: unique symbol = Symbol('hole')
type Slot<T> = T | typeof HOLE

/** An empty list; a fresh one per call, since states are never shared between stores. */
export function emptyKeyedList<T>(): KeyedList<T> {
  return { items: [], index: new Map() }
}

/** Builds a list from snapshot items; a later duplicate key replaces the earlier item in place. */
export function keyedListFrom<T>(source: readonly unknown[], policy: KeyedListPolicy<T>): KeyedList<T> {
  const items: T[] = []
  const index = new Map<string, number>()
  for (const value of source) {
    const item = value as T
    const key = policy.keyOf(item)
    if (key === undefined) continue
    const at = index.get(key)
    if (at === undefined) index.set(key, items.push(item) - 1)
    else items[at] = item
  }
  return { items, index }
}

/**
 * Applies a batch of events. The first change copies the items (and, for inserts and
 * removals, the index) once; every event after that mutates the copies in O(1). Removals
 * leave holes and prepends go to a side list, so the one compaction at the end of the batch
 * keeps the whole batch O(n + k) instead of O(n) per removal or prepend.
 */
export function applyToKeyedList<T>(
  state: KeyedList<T>,
  events: readonly EventFrame[],
  policy: KeyedListPolicy<T>,
): KeyedList<T> {
  const { keyOf, classify, prepend, patch } = policy
  let items: Slot<T>[] | null = null
  let index: Map<string, number> | null = null
  // Items created in this batch in prepend mode, in arrival order. The index points at them
  // with negative positions (-1 is fresh[0]) until the compaction gives them real ones.
  let fresh: Slot<T>[] | null = null
  let holes = 0

  for (let e = 0; e < events.length; e++) {
    const event = events[e]!
    const op = classify(event.kind)
    if (op === null) continue
    const data = event.data as T | undefined
    const key = event.key ?? (data === undefined ? undefined : keyOf(data))
    if (key === undefined) continue
    const at = (index ?? state.index).get(key)

    if (op === 'remove') {
      if (at === undefined) continue
      index ??= new Map(state.index)
      index.delete(key)
      if (at >= 0) {
        items ??= state.items.slice()
        items[at] = HOLE
      } else {
        fresh![-at - 1] = HOLE
      }
      holes++
      continue
    }

    if (data === undefined) continue
    if (at === undefined) {
      index ??= new Map(state.index)
      if (prepend) {
        fresh ??= []
        index.set(key, -fresh.push(data))
      } else {
        items ??= state.items.slice()
        index.set(key, items.push(data) - 1)
      }
      continue
    }

    const current = (at >= 0 ? (items ?? state.items)[at] : fresh![-at - 1]) as T
    const next =
      op === 'update' && patch && isPlainObject(current) && isPlainObject(data)
        ? { ...current, ...data }
        : data
    if (Object.is(current, next)) continue
    if (at >= 0) {
      items ??= state.items.slice()
      items[at] = next
    } else {
      fresh![-at - 1] = next
    }
  }

  if (items === null && fresh === null) return state
  if (holes === 0 && fresh === null) return { items: items as T[], index: index ?? state.index }
  return compact(items ?? state.items, fresh, index!)
}

// Drops holes, puts fresh prepends first (newest first), and rewrites the index positions
// in one pass over the index instead of re-reading keys from items (an item need not carry
// its key when events name it with `event.key`).
function compact<T>(
  base: readonly Slot<T>[],
  fresh: Slot<T>[] | null,
  index: Map<string, number>,
): KeyedList<T> {
  const out: T[] = []
  let freshAt: Int32Array | null = null
  if (fresh !== null) {
    freshAt = new Int32Array(fresh.length)
    for (let i = fresh.length - 1; i >= 0; i--) {
      const item = fresh[i]!
      if (item !== HOLE) freshAt[i] = out.push(item) - 1
    }
  }
  const baseAt = new Int32Array(base.length)
  for (let i = 0; i < base.length; i++) {
    const item = base[i]!
    if (item !== HOLE) baseAt[i] = out.push(item) - 1
  }
  for (const [key, at] of index) index.set(key, at >= 0 ? baseAt[at]! : freshAt![-at - 1]!)
  return { items: out, index }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
