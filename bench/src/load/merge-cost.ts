import { crud } from '@sluice/client'
import type { EventFrame } from '@sluice/protocol'
import type { MergeRun } from '../scenarios/client-types.ts'

// A type alias, not an interface: only aliases are assignable to the snapshot's Json type.
type Item = {
  id: string
  title: string
  done: boolean
  n: number
}

const BATCH = 100
/** Each measurement runs at least this long so timer resolution and JIT warm-up wash out. */
const MIN_MS = 250

function makeItems(size: number): Item[] {
  return Array.from({ length: size }, (_, i) => ({ id: `k${i}`, title: `item ${i}`, done: false, n: 0 }))
}

/**
 * Updates to random existing keys, generated before timing so only the merge is measured.
 * The sequence is there twice with distinct data objects: cycling A B A B… every event then
 * really changes its item (re-applying the very object an item already holds is a no-op that
 * `crud` rightly skips, and would inflate the rate).
 */
function makeUpdates(size: number, count: number): EventFrame[] {
  const first = makeSequence(size, count)
  return [...first, ...first.map((event) => ({ ...event, data: { ...(event.data as Item) } }))]
}

function makeSequence(size: number, count: number): EventFrame[] {
  let seed = 42
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff
    return seed / 0x7fffffff
  }
  return Array.from({ length: count }, (_, u) => {
    const i = Math.floor(random() * size)
    return {
      type: 'event',
      topic: 'bench',
      epoch: 'e',
      seq: u + 1,
      kind: 'updated',
      key: `k${i}`,
      data: { id: `k${i}`, title: `item ${i}`, done: u % 2 === 0, n: u },
      ts: 0,
    } satisfies EventFrame
  })
}

const collect = (globalThis as { gc?: () => void }).gc

/**
 * Runs `step(u)` for update indices until MIN_MS passed; returns updates per second. It starts
 * from a collected heap, so one measurement never pays for the garbage of the one before (the
 * naive baseline leaves ~800 KB per update at 100k items, which halved crud's next figure).
 */
function rate(updatesPerStep: number, step: (stepIndex: number) => void): number {
  collect?.()
  let steps = 0
  const startedAt = performance.now()
  let elapsed = 0
  do {
    for (let i = 0; i < 10; i++) step(steps++)
    elapsed = performance.now() - startedAt
  } while (elapsed < MIN_MS)
  return (steps * updatesPerStep * 1000) / elapsed
}

/**
 * Updates/s of the `crud` strategy on lists of each size, applied one event at a time (every
 * event flushed on its own), the same with the `items` array read after each (as a component
 * rendering `data.items` does), and in batches of 100 (a burst), against a naive immutable list
 * that finds the item and copies the array on every update.
 */
export function measureMerge(sizes: number[], updates: number, runs: number): MergeRun[] {
  const results: MergeRun[] = sizes.map((size) => ({
    size,
    crudSingle: [],
    crudSingleRead: [],
    crudBatch100: [],
    naive: [],
  }))
  let sink = 0
  const strategy = crud<Item>()
  for (let run = 0; run < runs; run++) {
    for (const result of results) {
      const items = makeItems(result.size)
      const events = makeUpdates(result.size, updates)
      const event = (u: number) => events[u % events.length]!

      let state = strategy.fromSnapshot!(items)
      result.crudSingle.push(rate(1, (u) => (state = strategy.apply(state, [event(u)]))))

      state = strategy.fromSnapshot!(items)
      result.crudSingleRead!.push(
        rate(1, (u) => {
          state = strategy.apply(state, [event(u)])
          sink += state.items.length
        }),
      )

      state = strategy.fromSnapshot!(items)
      const batches = Array.from({ length: Math.floor(events.length / BATCH) }, (_, b) =>
        events.slice(b * BATCH, (b + 1) * BATCH),
      )
      result.crudBatch100.push(
        rate(BATCH, (b) => (state = strategy.apply(state, batches[b % batches.length]!))),
      )

      let list: readonly Item[] = items
      result.naive.push(
        rate(1, (u) => {
          const { key, data } = event(u)
          const at = list.findIndex((item) => item.id === key)
          const next = list.slice()
          next[at] = data as unknown as Item
          list = next
        }),
      )
    }
  }
  if (sink < 0) throw new Error('unreachable: keeps the items reads from being optimised away')
  return results
}
