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
  /** The owner's Map, or null when this version is a diff away from another. */
  map: Map<string, number> | null
  /** Entries to write into `next`'s Map to get this version (undefined: absent). */
  diff: Map<string, number | undefined> | null
  next: KeyIndex | null
  /** Entries written by all versions sharing this Map. */
  readonly lineage: { writes: number }
}

/** Minimum writes before a lineage is cut, so small lists do not copy their Map often. */
const MIN_LINEAGE_WRITES = 1024

export function keyIndexOf(map: Map<string, number>): KeyIndex {
  return { map, diff: null, next: null, lineage: { writes: 0 } }
}

/** The Map as of `version`, moving ownership to it. */
export function reroot(version: KeyIndex): Map<string, number> {
  if (version.map !== null) return version.map
  const path: KeyIndex[] = []
  let owner = version
  while (owner.map === null) {
    path.push(owner)
    owner = owner.next!
  }
  const map = owner.map
  // Walk back from the owner, inverting each link so the previous owner becomes a diff away.
  for (let i = path.length - 1; i >= 0; i--) {
    const node = path[i]!
    const inverse = new Map<string, number | undefined>()
    for (const [key, value] of node.diff!) {
      inverse.set(key, map.get(key))
      if (value === undefined) map.delete(key)
      else map.set(key, value)
    }
    owner.map = null
    owner.diff = inverse
    owner.next = node
    node.map = map
    node.diff = null
    node.next = null
    owner = node
  }
  return map
}

/**
 * A batch of writes on top of `base`: `set`/`delete` go to the shared Map at once, remembering
 * each key's value in `base`; `commit` then makes the new version and `abort` restores `base`.
 */
export class KeyIndexWriter {
  // `declare`: no class-field declarations in the bundle for fields the constructor sets.
  declare readonly map: Map<string, number>
  declare private readonly base: KeyIndex
  private undo: Map<string, number | undefined> | null = null

  constructor(base: KeyIndex) {
    this.base = base
    this.map = reroot(base)
  }

  set(key: string, value: number): void {
    this.remember(key)
    this.map.set(key, value)
  }

  delete(key: string): void {
    this.remember(key)
    this.map.delete(key)
  }

  /** The version after the writes: `base` itself when nothing was written. */
  commit(): KeyIndex {
    const { base, undo, map } = this
    if (undo === null) return base
    const lineage = base.lineage
    lineage.writes += undo.size
    if (lineage.writes > Math.max(MIN_LINEAGE_WRITES, 2 * map.size)) {
      const copy = keyIndexOf(new Map(map))
      this.abort()
      // The old lineage counts afresh, or every later write on one of its versions (the store
      // re-deriving optimistic changes from confirmed state) would copy the Map again.
      lineage.writes = 0
      return copy
    }
    const next: KeyIndex = { map, diff: null, next: null, lineage }
    base.map = null
    base.diff = undo
    base.next = next
    return next
  }

  abort(): void {
    if (this.undo === null) return
    for (const [key, value] of this.undo) {
      if (value === undefined) this.map.delete(key)
      else this.map.set(key, value)
    }
    this.undo = null
  }

  private remember(key: string): void {
    this.undo ??= new Map()
    if (!this.undo.has(key)) this.undo.set(key, this.map.get(key))
  }
}
