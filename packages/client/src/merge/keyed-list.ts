import type { EventFrame } from '@sluice/protocol'
import { type KeyIndex, KeyIndexWriter, keyIndexOf, reroot } from './key-index'

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
 * window) or iteration: iteration needs no preparation, `at` and `slice` an O(size / 64) table
 * on first use.
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
/** A location in the key index is `chunk id * SPAN + offset in the chunk`: one number, no object. */
const SPAN = 1 << 16

interface Chunk<T> {
  /** Stays the same across copies, so the key index need not change when a chunk is copied. */
  readonly id: number
  items: T[]
  /** The key of each item (items need not carry their key: an event may name it). */
  keys: string[]
  /** The batch that made this copy and may still write into it. */
  owner: object | null
  keysOwner: object | null
}

interface Group<T> {
  chunks: Chunk<T>[]
  owner: object | null
}

let chunkIds = 0

/** The chunk with flat number `c`, all groups but the last being full. */
function chunkIn<T>(groups: readonly Group<T>[], c: number, bits: number): Chunk<T> {
  return groups[c >> bits]!.chunks[c & ((1 << bits) - 1)]!
}

function chunkCount(groups: readonly Group<unknown>[], bits: number): number {
  const last = groups[groups.length - 1]
  return last === undefined ? 0 : ((groups.length - 1) << bits) + last.chunks.length
}

// Internally items are kept oldest first; in prepend mode the public order is the reverse, so
// a new item is an append either way and never shifts the others.
// Fields set in constructors are `declare`d: as parameter properties or plain fields they would
// also be emitted as class-field declarations, bytes in every client bundle.
class ChunkedList<T> implements KeyedList<T> {
  declare readonly size: number
  declare readonly groups: readonly Group<T>[]
  /** Chunk id → flat chunk number; may also hold ids of chunks this list does not have. */
  declare readonly positions: Map<number, number>
  declare readonly index: KeyIndex
  declare readonly reversed: boolean
  declare readonly groupBits: number
  private cachedItems: readonly T[] | null = null
  /** The internal index of each chunk's first item, built on the first `at` or `slice`. */
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
    groups: readonly Group<T>[],
    positions: Map<number, number>,
    index: KeyIndex,
    reversed: boolean,
    groupBits: number,
  ) {
    this.size = size
    this.groups = groups
    this.positions = positions
    this.index = index
    this.reversed = reversed
    this.groupBits = groupBits
  }

  // With a parent's array: chunks before the parent's end kept their places (no item was
  // removed or moved) and every item past it is in a touched chunk, so copying the parent's
  // array and writing the touched chunks over it gives this list's order.
  get items(): readonly T[] {
    if (this.cachedItems === null) {
      const { size, reversed, groups, groupBits } = this
      const from = this.parent?.cachedItems
      let out: T[] = []
      if (from) {
        const added = size - from.length
        // Prepending, added items come first: this list's own head, then the parent's array.
        out = reversed && added > 0 ? this.slice(0, added).concat(from) : from.slice()
        const starts = this.chunkStarts()
        // Ascending, so an appended item lands at index `out.length` and the array stays packed.
        for (const c of this.touched!.sort((a, b) => a - b)) {
          const items = chunkIn(groups, c, groupBits).items
          for (let k = 0, i = starts[c]!; k < items.length; k++, i++)
            out[reversed ? size - 1 - i : i] = items[k]!
        }
      } else {
        for (const group of groups)
          for (const chunk of group.chunks) for (const item of chunk.items) out.push(item)
        if (reversed) out.reverse()
      }
      this.cachedItems = out
      this.parent = this.touched = null
    }
    return this.cachedItems
  }

  toJSON(): readonly T[] {
    return this.items
  }

  get(key: string): T | undefined {
    const at = reroot(this.index).get(key)
    if (at === undefined) return undefined
    const id = Math.floor(at / SPAN)
    return chunkIn(this.groups, this.positions.get(id)!, this.groupBits).items[at - id * SPAN]
  }

  has(key: string): boolean {
    return reroot(this.index).has(key)
  }

  at(index: number): T | undefined {
    let i = Math.trunc(index) || 0
    if (i < 0) i += this.size
    if (i < 0 || i >= this.size) return undefined
    const internal = this.reversed ? this.size - 1 - i : i
    const c = this.chunkAt(internal)
    return chunkIn(this.groups, c, this.groupBits).items[internal - this.starts![c]!]
  }

  slice(start?: number, end?: number): T[] {
    const { size } = this
    const from = clampIndex(start, 0, size)
    const to = clampIndex(end, size, size)
    if (from >= to) return []
    // The internal range holding the public one; reversed afterwards in prepend mode.
    const low = this.reversed ? size - to : from
    const count = to - from
    const out: T[] = []
    let c = this.chunkAt(low)
    let offset = low - this.starts![c]!
    while (out.length < count) {
      const items = chunkIn(this.groups, c, this.groupBits).items
      const take = Math.min(items.length - offset, count - out.length)
      for (let k = 0; k < take; k++) out.push(items[offset + k]!)
      c++
      offset = 0
    }
    return this.reversed ? out.reverse() : out
  }

  *[Symbol.iterator](): Iterator<T> {
    const { groups } = this
    if (!this.reversed) {
      for (const group of groups) for (const chunk of group.chunks) yield* chunk.items
      return
    }
    for (let g = groups.length - 1; g >= 0; g--) {
      const chunks = groups[g]!.chunks
      for (let c = chunks.length - 1; c >= 0; c--) {
        const items = chunks[c]!.items
        for (let k = items.length - 1; k >= 0; k--) yield items[k]!
      }
    }
  }

  private chunkStarts(): number[] {
    if (this.starts === null) {
      const starts: number[] = []
      let sum = 0
      for (const group of this.groups) {
        for (const chunk of group.chunks) {
          starts.push(sum)
          sum += chunk.items.length
        }
      }
      this.starts = starts
    }
    return this.starts
  }

  /** The flat number of the chunk holding internal index `i`, by binary search over chunk starts. */
  private chunkAt(i: number): number {
    const starts = this.chunkStarts()
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (starts[mid]! <= i) lo = mid
      else hi = mid - 1
    }
    return lo
  }
}

function clampIndex(value: number | undefined, fallback: number, size: number): number {
  if (value === undefined) return fallback
  const i = Math.trunc(value) || 0
  return i < 0 ? Math.max(size + i, 0) : Math.min(i, size)
}

function grouped<T>(chunks: Chunk<T>[], bits: number, owner: object | null): Group<T>[] {
  const groups: Group<T>[] = []
  for (let c = 0; c < chunks.length; c += 1 << bits)
    groups.push({ chunks: chunks.slice(c, c + (1 << bits)), owner })
  return groups
}

function positionsOf(chunks: readonly Chunk<unknown>[]): Map<number, number> {
  const positions = new Map<number, number>()
  for (let c = 0; c < chunks.length; c++) positions.set(chunks[c]!.id, c)
  return positions
}

/** An empty list; a fresh one per call, since states are never shared between stores. */
export function emptyKeyedList<T>(): KeyedList<T> {
  return new ChunkedList<T>(0, [], new Map(), keyIndexOf(new Map()), false, GROUP_BITS)
}

/**
 * Builds a list from snapshot items, in the snapshot's order (also when prepending: the
 * server's order is the one to show). Of duplicate keys, the later item wins.
 */
export function keyedListFrom<T>(source: readonly unknown[], policy: KeyedListPolicy<T>): KeyedList<T> {
  const order: T[] = []
  const keys: string[] = []
  const map = new Map<string, number>()
  // Prepend mode keeps items oldest first, so the snapshot is read back to front.
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
  const chunkSize = policy.chunkSize ?? CHUNK_SIZE
  const bits = policy.groupBits ?? GROUP_BITS
  const chunks: Chunk<T>[] = []
  for (let start = 0; start < order.length; start += chunkSize) {
    const id = chunkIds++
    const chunkKeys = keys.slice(start, start + chunkSize)
    for (let k = 0; k < chunkKeys.length; k++) map.set(chunkKeys[k]!, id * SPAN + k)
    chunks.push({
      id,
      items: order.slice(start, start + chunkSize),
      keys: chunkKeys,
      owner: null,
      keysOwner: null,
    })
  }
  return new ChunkedList(
    order.length,
    grouped(chunks, bits, null),
    positionsOf(chunks),
    keyIndexOf(map),
    policy.prepend,
    bits,
  )
}

// A list built by hand (say, restored from storage) is adopted by reading keys from its items.
function listOf<T>(state: KeyedList<T>, policy: KeyedListPolicy<T>): ChunkedList<T> {
  return state instanceof ChunkedList ? state : (keyedListFrom(state.items, policy) as ChunkedList<T>)
}

/**
 * Applies a batch of events. A write copies its chunk and that chunk's group once per batch, and
 * the batch copies the top array once; the key index is written in place (see `KeyIndex`), so
 * an update costs O(chunk size) whatever the list's size, and never a copy of the whole list.
 */
export function applyToKeyedList<T>(
  state: KeyedList<T>,
  events: readonly EventFrame[],
  policy: KeyedListPolicy<T>,
): KeyedList<T> {
  if (events.length === 0) return state
  const list = listOf(state, policy)
  const batch = new Batch(list, policy.chunkSize ?? CHUNK_SIZE)
  const { keyOf, classify, patch } = policy
  try {
    for (let e = 0; e < events.length; e++) {
      const event = events[e]!
      const op = classify(event.kind)
      if (op === null) continue
      const data = event.data as T | undefined
      const key = event.key ?? (data === undefined ? undefined : keyOf(data))
      if (key === undefined) continue
      const at = batch.index.map.get(key)
      if (op === 'remove') {
        if (at !== undefined) batch.remove(key, at)
        continue
      }
      if (data === undefined) continue
      if (at === undefined) {
        batch.append(key, data)
        continue
      }
      const current = batch.read(at)
      const next =
        op === 'update' && patch && isPlainObject(current) && isPlainObject(data)
          ? ({ ...current, ...data } as T)
          : data
      if (!Object.is(current, next)) batch.write(at, next)
    }
  } catch (error) {
    batch.index.abort()
    throw error
  }
  return batch.groups === null ? state : batch.finish(policy.prepend)
}

/** The writes of one `applyToKeyedList` call. */
class Batch<T> {
  declare readonly index: KeyIndexWriter
  /** The top array, copied on the first write; null while nothing changed. */
  groups: Group<T>[] | null = null
  /** Marks the copies this batch may write into; not the batch itself, which holds the base list. */
  private readonly token = {}
  /** Flat numbers of the chunks this batch copied or made; null once an item was removed. */
  private touched: number[] | null = []
  declare private positions: Map<number, number>
  declare private size: number
  declare private readonly bits: number
  declare private readonly base: ChunkedList<T>
  declare private readonly chunkSize: number

  constructor(base: ChunkedList<T>, chunkSize: number) {
    this.base = base
    this.chunkSize = chunkSize
    this.index = new KeyIndexWriter(base.index)
    this.positions = base.positions
    this.size = base.size
    this.bits = base.groupBits
  }

  read(at: number): T {
    const id = Math.floor(at / SPAN)
    const chunk = chunkIn(this.groups ?? this.base.groups, this.positions.get(id)!, this.bits)
    return chunk.items[at - id * SPAN]!
  }

  write(at: number, item: T): void {
    const id = Math.floor(at / SPAN)
    this.own(this.positions.get(id)!).items[at - id * SPAN] = item
  }

  append(key: string, item: T): void {
    const groups = this.top()
    const count = chunkCount(groups, this.bits)
    if (count > 0 && chunkIn(groups, count - 1, this.bits).items.length < this.chunkSize) {
      const chunk = this.ownKeys(this.own(count - 1))
      this.index.set(key, chunk.id * SPAN + chunk.items.push(item) - 1)
      chunk.keys.push(key)
    } else {
      const id = chunkIds++
      const chunk: Chunk<T> = { id, items: [item], keys: [key], owner: this.token, keysOwner: this.token }
      const last = groups.length - 1
      if (last >= 0 && groups[last]!.chunks.length < 1 << this.bits) this.ownGroup(last).chunks.push(chunk)
      else groups.push({ chunks: [chunk], owner: this.token })
      // A fresh id cannot clash with anything older lists look up, so the shared map may grow.
      this.positions.set(id, count)
      this.touched?.push(count)
      this.index.set(key, id * SPAN)
    }
    this.size++
  }

  remove(key: string, at: number): void {
    const id = Math.floor(at / SPAN)
    const c = this.positions.get(id)!
    const chunk = this.ownKeys(this.own(c))
    const offset = at - id * SPAN
    chunk.items.splice(offset, 1)
    chunk.keys.splice(offset, 1)
    this.index.delete(key)
    // Later items shift, and chunks may merge or go: `items` is then built from the chunks.
    this.touched = null
    for (let k = offset; k < chunk.keys.length; k++) this.index.set(chunk.keys[k]!, id * SPAN + k)
    this.size--
    const groups = this.groups!
    if (chunk.items.length === 0) {
      this.restructure(c)
    } else if (chunk.items.length <= this.chunkSize >> 2) {
      // Keep chunks over a quarter full, so there are at most about 4 × size / chunk size.
      const count = chunkCount(groups, this.bits)
      const fits = (other: number) =>
        chunkIn(groups, other, this.bits).items.length + chunk.items.length <= this.chunkSize
      if (c > 0 && fits(c - 1)) this.merge(c - 1)
      else if (c + 1 < count && fits(c + 1)) this.merge(c)
    }
  }

  // The policy, not the base, says the order: `initial()` is made before the policy is known.
  finish(reversed: boolean): KeyedList<T> {
    const { base, touched } = this
    const list = new ChunkedList(
      this.size,
      this.groups!,
      this.positions,
      this.index.commit(),
      reversed,
      this.bits,
    )
    // What bounds memory: a list that has a child lets go of its parent, so no chain of unread
    // lists keeps older arrays alive; the base then builds its own `items` if ever read.
    base.parent = base.touched = null
    // Only worth holding when the order is unchanged (a list adopted from `initial()` may differ).
    if (touched !== null && reversed === base.reversed) {
      list.parent = base
      list.touched = touched
    }
    return list
  }

  /** Moves the chunk after `left` into it. */
  private merge(left: number): void {
    const into = this.ownKeys(this.own(left))
    const from = chunkIn(this.groups!, left + 1, this.bits)
    for (let k = 0; k < from.items.length; k++) {
      this.index.set(from.keys[k]!, into.id * SPAN + into.items.push(from.items[k]!) - 1)
      into.keys.push(from.keys[k]!)
    }
    this.restructure(left + 1)
  }

  // Dropping a chunk shifts every later chunk's number and group: the one O(size / chunk size)
  // step, taken only when a chunk empties or merges, so at most once per chunkSize / 4 removals.
  private restructure(dropped: number): void {
    const flat: Chunk<T>[] = []
    for (const group of this.groups!) for (const chunk of group.chunks) flat.push(chunk)
    flat.splice(dropped, 1)
    this.groups = grouped(flat, this.bits, this.token)
    this.positions = positionsOf(flat)
  }

  private top(): Group<T>[] {
    this.groups ??= this.base.groups.slice()
    return this.groups
  }

  private ownGroup(g: number): Group<T> {
    const groups = this.top()
    const group = groups[g]!
    if (group.owner === this.token) return group
    const copy: Group<T> = { chunks: group.chunks.slice(), owner: this.token }
    groups[g] = copy
    return copy
  }

  private own(c: number): Chunk<T> {
    const group = this.ownGroup(c >> this.bits)
    const slot = c & ((1 << this.bits) - 1)
    const chunk = group.chunks[slot]!
    if (chunk.owner === this.token) return chunk
    this.touched?.push(c)
    const copy: Chunk<T> = {
      id: chunk.id,
      items: chunk.items.slice(),
      keys: chunk.keys,
      owner: this.token,
      keysOwner: null,
    }
    group.chunks[slot] = copy
    return copy
  }

  // Updates leave keys alone, so a copied chunk shares its keys array until one is added or removed.
  private ownKeys(chunk: Chunk<T>): Chunk<T> {
    if (chunk.keysOwner !== this.token) {
      chunk.keys = chunk.keys.slice()
      chunk.keysOwner = this.token
    }
    return chunk
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
