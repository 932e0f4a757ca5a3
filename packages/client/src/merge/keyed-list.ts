import type { EventFrame } from '@sluice/protocol'
import type { MergeStrategy } from '../store/types'
import { type Diff, type KeyIndex, keyIndexOf, reroot, writeKeys } from './key-index'
import { snapshotArray } from './snapshot-array'

/**
 * An ordered list of items with O(1) lookup by key. Every batch that changes something makes
 * a new list and leaves the previous one as it was; a batch that changes nothing returns the
 * same list.
 *
 * `items` is an array built on first read and cached. When the list before the batch had its
 * `items` read and the batch only replaced or added items, it is that array copied (a native
 * copy, several times cheaper) with the changed chunks written over it; otherwise it is built
 * from the chunks: O(size) once per list either way. A big list (tens of thousands of items)
 * that changes often is cheaper still to render through `size`, `at`, `slice` (a virtualized
 * window) or iteration, which need an O(size / 64) table on first use and never copy the list.
 *
 * `get` and `has` are O(1) on the newest list; on an older one (the confirmed state under
 * optimistic changes, a list a component kept) the first lookup after a newer list was used
 * costs the number of keys added or removed in between.
 */
export interface KeyedList<T> extends Iterable<T> {
  /** The number of items. */
  readonly size: number
  /** All items in order, as an array built on first read (O(size) once per list, see above). */
  readonly items: readonly T[]
  /** The item with this key, in O(1). */
  get(key: string): T | undefined
  has(key: string): boolean
  /** The item at `index` (negative counts from the end), in O(log(size / 64)). */
  at(index: number): T | undefined
  /** The items from `start` to `end` (exclusive), as `Array.prototype.slice` takes them. */
  slice(start?: number, end?: number): T[]
  /** `JSON.stringify` writes the items array, which the strategy's `fromSnapshot` reads back. */
  toJSON(): readonly T[]
}

/** The policy shared by `crud` and `presence`. */
export interface KeyedListPolicy<T> {
  keyOf: (item: T) => string | undefined
  /** The event kinds that create, update and remove an item, in that order; others are ignored. */
  kinds: readonly [create: string, update: string, remove: string]
  /** New keys go to the front (newest first) instead of the end. @default false */
  prepend?: boolean | undefined
  /** `update` shallow-merges the event's data into the existing item instead of replacing it. @default false */
  patch?: boolean | undefined
  /** Items per chunk (below 65,536); small values let tests reach splits and merges. @default 64 */
  chunkSize?: number
  /** log2 of the chunks per group. @default 6 */
  groupBits?: number
}

// Why this shape: copying the whole list per batch made an update at 100k items cost 100× one at
// 1k. Items live in chunks of at most 64, chunks in groups of 64, groups in one top array: a
// batch copies the chunks it writes, their groups and the top array (size / 4096 pointers), each
// once per batch, so an update costs about the same from 1k to a few 100k items. Small chunks keep
// bursts cheap (a burst of random updates writes one chunk per update); the group level keeps a
// single update from copying a directory of size / 64 chunks. Nothing a returned list holds is
// ever written again: a batch writes in place only into copies it made itself.
const CHUNK_SIZE = 64
const GROUP_BITS = 6
/**
 * A location in the key index is `chunk id + offset in the chunk`, chunk ids being multiples of
 * SPAN: one number, no object.
 */
const SPAN = 1 << 16
/** Indexes into `KeyedListPolicy.kinds`. */
const UPDATE = 1
const REMOVE = 2

/** Consecutive items (in internal order) and the key of each: an event may name a key its item lacks. */
interface Chunk<T> {
  /**
   * A multiple of SPAN, the location of the chunk's first item. Stays the same across copies, so
   * the key index need not change when a chunk is copied.
   */
  readonly id: number
  items: T[]
  keys: string[]
  /** The batch that made this copy and may still write into its `items`. */
  owner: object | null
  /** The batch that copied `keys` and may still write into them. */
  keysOwner: object | null
}

let chunkIds = 0

/** A new chunk, empty unless given, which `owner` may write into. */
function newChunk<T>(owner: object | null, items: T[] = [], keys: string[] = []): Chunk<T> {
  return { id: chunkIds++ * SPAN, items, keys, owner, keysOwner: owner }
}

/** The chunk with flat number `c` (all groups but the last are full), if there is one. */
function chunkAt<T>(groups: readonly (readonly Chunk<T>[])[], c: number, bits: number): Chunk<T> | undefined {
  return groups[c >> bits]?.[c & ((1 << bits) - 1)]
}

/** Groups chunks by `1 << bits`, and maps each chunk's id to its flat number. */
function layout<T>(chunks: readonly Chunk<T>[], bits: number): [Chunk<T>[][], Map<number, number>] {
  const groups: Chunk<T>[][] = []
  for (let c = 0; c < chunks.length; c += 1 << bits) groups.push(chunks.slice(c, c + (1 << bits)))
  return [groups, new Map(chunks.map((chunk, c) => [chunk.id, c]))]
}

/** A `slice` argument as an index in `[0, size]`, read as `Array.prototype.slice` reads it. */
function clamp(value: number, size: number): number {
  const i = Math.trunc(value) || 0
  return Math.min(Math.max(i < 0 ? size + i : i, 0), size)
}

// Internally items are kept oldest first; in prepend mode the public order is the reverse, so
// a new item is an append either way and never shifts the others.
// Fields set in constructors are `declare`d: as parameter properties or plain fields they would
// also be emitted as class-field declarations, bytes in every client bundle.
class ChunkedList<T> implements KeyedList<T> {
  declare readonly size: number
  declare readonly groups: readonly (readonly Chunk<T>[])[]
  /** Chunk id → flat chunk number; may also hold ids of chunks this list does not have. */
  declare readonly positions: Map<number, number>
  declare readonly index: KeyIndex
  declare readonly reversed: boolean
  /** log2 of the chunks per group. */
  declare readonly bits: number
  private cached: readonly T[] | null = null
  /** The internal index of each chunk's first item, then `size`; built on first use. */
  private starts: number[] | null = null
  /**
   * The list this one was made from and the flat numbers of the chunks the batch wrote, when the
   * batch only replaced and appended items: `items` is then the parent's copied, if the parent's
   * was read. Dropped at the first read of `items` or the first batch on this list, so an unread
   * list never keeps a chain of older arrays alive (at most its parent's, until its next batch).
   */
  parent: ChunkedList<T> | null = null
  touched: number[] | null = null

  constructor(
    size: number,
    groups: readonly (readonly Chunk<T>[])[],
    positions: Map<number, number>,
    index: KeyIndex,
    reversed: boolean,
    bits: number,
  ) {
    this.size = size
    this.groups = groups
    this.positions = positions
    this.index = index
    this.reversed = reversed
    this.bits = bits
  }

  // With a parent's array: chunks before the parent's end kept their places (no item was
  // removed or moved) and every item past it is in a touched chunk, so copying the parent's
  // array and writing the touched chunks over it gives this list's order.
  get items(): readonly T[] {
    if (this.cached === null) {
      const { size, reversed, parent } = this
      const from = parent?.cached
      let out: T[]
      if (from) {
        // Prepending, added items come first: this list's own head, then the parent's array.
        out = reversed ? this.slice(0, size - from.length).concat(from) : from.slice()
        const starts = this.chunkStarts()
        // Ascending, so an appended item lands at index `out.length` and the array stays packed.
        for (const c of this.touched!.sort((a, b) => a - b)) {
          const { items } = this.chunk(c)!
          for (let k = 0, i = starts[c]!; k < items.length; k++, i++)
            out[reversed ? size - 1 - i : i] = items[k]!
        }
      } else out = this.slice()
      this.cached = out
      this.parent = null
    }
    return this.cached
  }

  toJSON(): readonly T[] {
    return this.items
  }

  get(key: string): T | undefined {
    const at = reroot(this.index).get(key)
    if (at === undefined) return undefined
    return this.chunk(this.positions.get(at - (at % SPAN))!)!.items[at % SPAN]
  }

  has(key: string): boolean {
    return reroot(this.index).has(key)
  }

  at(index: number): T | undefined {
    const i = Math.trunc(index) || 0
    // `slice(-1, 0)` would be empty: -1 takes the last item as `slice(-1)`.
    return this.slice(i, i + 1 || undefined)[0]
  }

  slice(start = 0, end = this.size): T[] {
    const { size, reversed } = this
    const from = clamp(start, size)
    const count = clamp(end, size) - from
    const out: T[] = []
    const starts = this.chunkStarts()
    // The internal index of the first item; in prepend mode the range is reversed afterwards.
    const first = reversed ? size - from - count : from
    // The chunk holding it, by binary search over chunk starts.
    let c = 0
    for (let last = starts.length - 2; c < last; ) {
      const mid = (c + last + 1) >> 1
      if (starts[mid]! <= first) c = mid
      else last = mid - 1
    }
    for (let k = first - starts[c]!; out.length < count; k = 0) {
      out.push(...this.chunk(c++)!.items.slice(k, k + count - out.length))
    }
    return reversed ? out.reverse() : out
  }

  *[Symbol.iterator](): Iterator<T> {
    // A chunk's worth at a time: iterating never copies the whole list.
    for (let i = 0; i < this.size; i += CHUNK_SIZE) yield* this.slice(i, i + CHUNK_SIZE)
  }

  /** The chunk with flat number `c`, if there is one. */
  private chunk(c: number): Chunk<T> | undefined {
    return chunkAt(this.groups, c, this.bits)
  }

  private chunkStarts(): number[] {
    if (this.starts === null) {
      const starts = [0]
      let sum = 0
      for (const group of this.groups) {
        for (const { items } of group) {
          sum += items.length
          starts.push(sum)
        }
      }
      this.starts = starts
    }
    return this.starts
  }
}

/**
 * The merge strategy of `crud` and `presence`: snapshots are arrays, or objects with the array
 * under `field`; `name` is the strategy's, for errors. `initial()` makes a fresh empty list per
 * call, since states are never shared between stores.
 */
export function keyedListStrategy<T>(
  policy: KeyedListPolicy<T>,
  field: string,
  name: string,
  key: string | undefined,
): MergeStrategy<KeyedList<T>> {
  return {
    key,
    initial: () => keyedListFrom([], policy),
    apply: (state, events) => applyToKeyedList(state, events, policy),
    fromSnapshot: (data) => keyedListFrom(snapshotArray(data, field, name), policy),
    older: (state, events, newer) => olderIntoKeyedList(state, events, newer, policy),
  }
}

/**
 * Merges older events under a list: each key's outcome over the page (its last write, or
 * nothing after a remove) is inserted where the list has no item of that key and no newer event
 * named it, before the list's items (after them when prepending: newest first). An item the
 * list holds, or a key it saw written or removed later, is newer than the page and stays as it
 * is. Rebuilding the list costs O(size) per page, as a snapshot does.
 */
function olderIntoKeyedList<T>(
  state: KeyedList<T>,
  events: readonly EventFrame[],
  newer: ReadonlySet<string>,
  policy: KeyedListPolicy<T>,
): KeyedList<T> {
  const [create, update, remove] = policy.kinds
  const outcome = new Map<string, T | null>()
  for (const event of events) {
    const { kind } = event
    if (kind !== create && kind !== update && kind !== remove) continue
    const key = event.key ?? (isPlainObject(event.data) ? policy.keyOf(event.data as T) : undefined)
    if (key === undefined || state.has(key) || newer.has(key)) continue
    const previous = outcome.get(key)
    // A key written again moves to where its last write put it, as in the log's order.
    outcome.delete(key)
    if (kind === remove) outcome.set(key, null)
    else
      outcome.set(
        key,
        (policy.patch && kind === update && isPlainObject(previous) && isPlainObject(event.data)
          ? { ...previous, ...event.data }
          : event.data) as T,
      )
  }
  const older: T[] = []
  for (const item of outcome.values()) if (item !== null) older.push(item)
  if (!older.length) return state
  return keyedListFrom(
    policy.prepend ? [...state.items, ...older.reverse()] : [...older, ...state.items],
    policy,
  )
}

/**
 * Builds a list from snapshot items, in the snapshot's order (also when prepending: the
 * server's order is the one to show). Of duplicate keys, the later item wins.
 */
export function keyedListFrom<T>(source: readonly unknown[], policy: KeyedListPolicy<T>): KeyedList<T> {
  const { prepend = false, chunkSize = CHUNK_SIZE, groupBits = GROUP_BITS } = policy
  // Each key's item, then its location: rewriting an entry keeps the Map's order and size.
  const map = new Map<string, T | number>()
  // Prepend mode keeps items oldest first, so the snapshot is read back to front.
  for (const item of (prepend ? [...source].reverse() : source) as T[]) {
    const key = policy.keyOf(item)
    // Read front to back, a duplicate replaces the earlier item in its place; read back to front
    // (prepending), the item already kept is the later one.
    if (key !== undefined && !(prepend && map.has(key))) map.set(key, item)
  }
  const keys = [...map.keys()]
  const items = [...map.values()] as T[]
  const chunks: Chunk<T>[] = []
  keys.forEach((key, i) => {
    // Sliced, not pushed into: a chunk's arrays are then no bigger than its items.
    if (i % chunkSize === 0)
      chunks.push(newChunk(null, items.slice(i, i + chunkSize), keys.slice(i, i + chunkSize)))
    map.set(key, chunks.at(-1)!.id + (i % chunkSize))
  })
  const index = keyIndexOf(map as Map<string, number>)
  return new ChunkedList<T>(map.size, ...layout(chunks, groupBits), index, prepend, groupBits)
}

/**
 * Applies a batch of events. A write copies its chunk and that chunk's group once per batch, and
 * the batch copies the top array once; the keys it moved go into the shared key index (see
 * `KeyIndex`), so an update costs O(chunk size) whatever the list's size, and never a copy of
 * the whole list.
 */
export function applyToKeyedList<T>(
  state: KeyedList<T>,
  events: readonly EventFrame[],
  policy: KeyedListPolicy<T>,
): KeyedList<T> {
  // A list built by hand (say, restored from storage) is adopted by reading keys from its items.
  const base = (state instanceof ChunkedList ? state : keyedListFrom(state.items, policy)) as ChunkedList<T>
  const { keyOf, kinds, patch, prepend = false, chunkSize = CHUNK_SIZE } = policy
  const { bits } = base
  const map = reroot(base.index)
  /** Where this batch moved keys (undefined: removed), written into the key index at its end. */
  const moves: Diff = new Map()
  /**
   * Marks the chunks this batch copied or made, which it alone may write into. The groups it may
   * write into are those it put in its top array: not the base's.
   */
  const token = {}
  /** The top array, copied on the first write; null while nothing changed. */
  let groups = null as Chunk<T>[][] | null
  let { size, positions } = base
  /** Flat numbers of the chunks this batch copied or made; null once an item was removed. */
  let touched: number[] | null = []

  /** Chunk `c`, copied with its group unless this batch already did; `keys` copied too if asked. */
  const own = (c: number, keys?: boolean): Chunk<T> => {
    const g = c >> bits
    const slot = c & ((1 << bits) - 1)
    groups ??= base.groups.slice() as Chunk<T>[][]
    let group = groups[g]!
    if (group === base.groups[g]) {
      group = group.slice()
      groups[g] = group
    }
    let chunk = group[slot]!
    if (chunk.owner !== token) {
      chunk = { id: chunk.id, items: chunk.items.slice(), keys: chunk.keys, owner: token, keysOwner: null }
      group[slot] = chunk
      touched?.push(c)
    }
    // Updates leave keys alone, so a copied chunk shares its keys array until one is added or removed.
    if (keys && chunk.keysOwner !== token) {
      chunk.keys = chunk.keys.slice()
      chunk.keysOwner = token
    }
    return chunk
  }

  /** Appends `item` to `chunk`, which this batch owns. */
  const put = (chunk: Chunk<T>, key: string, item: T) => {
    moves.set(key, chunk.id + chunk.items.push(item) - 1)
    chunk.keys.push(key)
  }

  /** Moves the chunk after `left` into it. */
  const merge = (left: number) => {
    const into = own(left, true)
    const { items, keys } = chunkAt(groups!, left + 1, bits)!
    keys.forEach((key, k) => {
      put(into, key, items[k]!)
    })
    // Dropping a chunk shifts every later chunk's number and group: the one O(size / chunk size)
    // step, taken only when a chunk merges, so at most once per chunkSize / 4 removals.
    const chunks = groups!.flat()
    chunks.splice(left + 1, 1)
    ;[groups, positions] = layout(chunks, bits)
  }

  const remove = (key: string, at: number) => {
    const offset = at % SPAN
    const id = at - offset
    const c = positions.get(id)!
    const { items, keys } = own(c, true)
    items.splice(offset, 1)
    keys.splice(offset, 1)
    moves.set(key, undefined)
    // Later items shift, and chunks may merge: `items` is then built from the chunks.
    touched = null
    for (let k = offset; k < keys.length; k++) moves.set(keys[k]!, id + k)
    size--
    // Keep chunks over a quarter full, so there are at most about 4 × size / chunk size. An
    // emptied chunk merges too, into a neighbour (a missing one never fits); only a list's last
    // chunk stays, empty.
    if (items.length <= chunkSize >> 2) {
      const fits = (other: number) =>
        (chunkAt(groups!, other, bits)?.items.length ?? chunkSize + 1) + items.length <= chunkSize
      if (fits(c - 1)) merge(c - 1)
      else if (fits(c + 1)) merge(c)
    }
  }

  const append = (key: string, item: T) => {
    groups ??= base.groups.slice() as Chunk<T>[][]
    let chunk = groups.at(-1)?.at(-1)
    let c = chunk ? positions.get(chunk.id)! : -1
    if (chunk && chunk.items.length < chunkSize) chunk = own(c, true)
    else {
      chunk = newChunk<T>(token)
      c++
      groups[c >> bits] = [...(groups[c >> bits] ?? []), chunk]
      // A fresh id cannot clash with anything older lists look up, so the shared map may grow.
      positions.set(chunk.id, c)
      touched?.push(c)
    }
    put(chunk, key, item)
    size++
  }

  for (const event of events) {
    const op = kinds.indexOf(event.kind)
    if (op < 0) continue
    const data = event.data as T | undefined
    const key = event.key ?? (data === undefined ? undefined : keyOf(data))
    if (key === undefined) continue
    const at = moves.has(key) ? moves.get(key) : map.get(key)
    if (op === REMOVE) {
      if (at !== undefined) remove(key, at)
    } else if (data !== undefined) {
      if (at === undefined) append(key, data)
      else {
        const offset = at % SPAN
        const c = positions.get(at - offset)!
        const current = chunkAt(groups ?? base.groups, c, bits)!.items[offset]!
        const next =
          op === UPDATE && patch && isPlainObject(current) && isPlainObject(data)
            ? ({ ...current, ...data } as T)
            : data
        if (!Object.is(current, next)) own(c).items[offset] = next
      }
    }
  }
  if (groups === null) return state
  const index = moves.size ? writeKeys(base.index, moves) : base.index
  // The policy, not the base, says the order.
  const list = new ChunkedList<T>(size, groups, positions, index, prepend, bits)
  // What bounds memory: a list that has a child lets go of its parent, so no chain of unread
  // lists keeps older arrays alive; the base then builds its own `items` if ever read.
  base.parent = null
  // Only worth holding when the order is unchanged (a list another strategy made may differ).
  if (touched !== null && prepend === base.reversed) {
    list.parent = base
    list.touched = touched
  }
  return list
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value)
}
