/**
 * A persistent key → number map where writing costs O(1) per entry, whatever the map's size.
 *
 * Copying a 100k-entry Map per batch would cost milliseconds, so every version of a list's
 * lineage shares one Map (Baker's "rerooting" trick, as in Conchon & Filliâtre's persistent
 * arrays): the version that last wrote owns it, and every other version holds the entries it
 * differs by and a link one step towards the owner. Reading an older version first re-points the
 * Map at it, which costs the number of entries changed in between — so the store's pattern
 * (confirmed state, then optimistic events on top, then the next batch on confirmed state again)
 * costs O(batch + pending) per flush, and an old version stays correct however old it is.
 *
 * A version someone keeps (a list held by a component, SSR `initialData`) keeps alive every
 * diff between it and the owner. So that this stays O(size), a lineage that has written more
 * than twice its size in entries hands the next version a copy of the Map and stops growing:
 * the copy costs O(size) once per 2 × size writes, O(1) per write.
 */
export interface KeyIndex {
  /** The Map all versions of this lineage share, and the entries they have written into it. */
  readonly lineage: { readonly map: Map<string, number>; writes: number }
  /** Entries to write into the Map as of `next` to get this version; null on the owner. */
  diff: Diff | null
  /** One step towards the owner; null on the owner. */
  next: KeyIndex | null
}

/** Entries to write, undefined meaning absent. */
export type Diff = Map<string, number | undefined>

/** Minimum writes before a lineage is cut, so small lists do not copy their Map often. */
const MIN_LINEAGE_WRITES = 1024

export function keyIndexOf(map: Map<string, number>): KeyIndex {
  return { lineage: { map, writes: 0 }, diff: null, next: null }
}

/** Writes `diff` into `map` and returns the diff that undoes it. */
function swap(map: Map<string, number>, diff: Diff): Diff {
  const inverse: Diff = new Map()
  for (const [key, value] of diff) {
    inverse.set(key, map.get(key))
    if (value === undefined) map.delete(key)
    else map.set(key, value)
  }
  return inverse
}

/** The Map as of `version`, moving ownership to it. */
export function reroot(version: KeyIndex): Map<string, number> {
  const { map } = version.lineage
  // Reverse the links on the way to the owner, then walk back from it: each step writes a diff
  // into the Map and leaves its inverse on the previous owner, now a diff away.
  let owner: KeyIndex | null = null
  for (let node: KeyIndex | null = version, next: KeyIndex | null; node; node = next) {
    next = node.next
    node.next = owner
    owner = node
  }
  for (let node = owner!.next; node; node = node.next) {
    owner!.diff = swap(map, node.diff!)
    owner = node
  }
  version.diff = null
  return map
}

/**
 * The version after `writes` on top of `base`: they go into the shared Map, and `base` keeps the
 * diff back. A batch collects its writes and hands them over at its end, so one that throws
 * halfway leaves the Map as it was.
 */
export function writeKeys(base: KeyIndex, writes: Diff): KeyIndex {
  const { lineage } = base
  const map = reroot(base)
  lineage.writes += writes.size
  if (lineage.writes > Math.max(MIN_LINEAGE_WRITES, 2 * map.size)) {
    // The old lineage counts afresh, or every later write on one of its versions (the store
    // re-deriving optimistic changes from confirmed state) would copy the Map again.
    lineage.writes = 0
    const copy = new Map(map)
    swap(copy, writes)
    return keyIndexOf(copy)
  }
  const next: KeyIndex = { lineage, diff: null, next: null }
  base.diff = swap(map, writes)
  base.next = next
  return next
}
