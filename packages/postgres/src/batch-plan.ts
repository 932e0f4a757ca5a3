/**
 * A hole in the ids seen in one snapshot: `below` was visible while smaller ids were not, and
 * `horizon` is an xid taken after that snapshot. Every transaction that could still commit a
 * missing id below `below` got its xid before `horizon` (the outbox's id function assigns the
 * xid before it takes an id, and ids grow with time), so once the oldest running xid is past
 * `horizon`, a missing id below `below` is missing for good (rolled back, or lost from the
 * sequence's cache in a crash): never a late commit.
 */
export interface Gap {
  below: bigint
  horizon: bigint
}

/** What to do with one batch read after `position`. */
export interface BatchPlan<R> {
  /** Rows to publish now, in id order. */
  publish: R[]
  /** Set when a row waits behind a missing id: the first missing id and the row after the hole. */
  blocked: { missing: bigint; next: bigint } | undefined
  /**
   * The gap to keep after publishing: `keep` the current one, `clear` it, or start a new one
   * below `next` (the caller takes a fresh horizon xid first).
   */
  gap: 'keep' | 'clear' | { below: bigint }
}

/**
 * Decides which rows of a batch (ids ascending, all greater than `position`, read in one
 * snapshot whose oldest running xid is `xmin`) can be published without ever publishing an id
 * after one that may still appear: consecutive ids always; past a hole only when the current gap
 * is resolved and covers it.
 *
 * @example
 * planBatch([{ id: 5n }, { id: 7n }], 4n, undefined, 100n)
 * // { publish: [{ id: 5n }], blocked: { missing: 6n, next: 7n }, gap: { below: 7n } }
 */
export function planBatch<R extends { id: bigint }>(
  rows: readonly R[],
  position: bigint,
  gap: Gap | undefined,
  xmin: bigint,
): BatchPlan<R> {
  const resolved = gap !== undefined && xmin > gap.horizon
  const publish: R[] = []
  let expected = position + 1n
  for (const row of rows) {
    const passable = row.id === expected || (resolved && row.id <= (gap as Gap).below)
    if (!passable) {
      const blocked = { missing: expected, next: row.id }
      // An open gap that covers this hole is still the one to wait for; anything else (no gap,
      // a resolved one, a hole beyond what it covers) needs a horizon taken after this snapshot.
      const covered = gap !== undefined && !resolved && row.id <= gap.below
      return { publish, blocked, gap: covered ? 'keep' : { below: row.id } }
    }
    publish.push(row)
    expected = row.id + 1n
  }
  const settled = gap === undefined || expected - 1n >= gap.below
  return { publish, blocked: undefined, gap: settled ? 'clear' : 'keep' }
}
