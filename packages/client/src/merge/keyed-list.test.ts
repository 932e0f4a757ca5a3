import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { applyToKeyedList, type KeyedList, type KeyedListPolicy, keyedListFrom } from './keyed-list'
import { ev } from './test-events'
import { expectListToMatch } from './test-list'

interface Item {
  id: string
  v: number
  w?: number
}

// Chunks of 4 in groups of 2 chunks: a few dozen items reach new groups, chunk merges and
// emptied chunks, which the default sizes only reach with thousands.
const policy = (prepend: boolean, patch: boolean): KeyedListPolicy<Item> => ({
  keyOf: (item) => item.id,
  kinds: ['created', 'updated', 'deleted'],
  prepend,
  patch,
  chunkSize: 4,
  groupBits: 1,
})

/** What the list must hold: upserts in a Map, whose insertion order is the list's order. */
class Model {
  readonly map = new Map<string, Item>()
  constructor(
    private readonly prepend: boolean,
    private readonly patch: boolean,
  ) {}

  apply(op: Op): void {
    const current = this.map.get(op.id)
    if (op.kind === 'deleted') this.map.delete(op.id)
    else if (op.kind === 'updated' && this.patch && current) this.map.set(op.id, { ...current, ...op.data() })
    else if (op.kind !== 'other') this.map.set(op.id, op.data())
  }

  items(): Item[] {
    const items = [...this.map.values()]
    return this.prepend ? items.reverse() : items
  }
}

interface Op {
  kind: string
  id: string
  data: () => Item
}

const KEYS = Array.from({ length: 24 }, (_, i) => `k${i}`)

const op = fc
  .record({
    kind: fc.constantFrom('created', 'created', 'updated', 'deleted', 'deleted', 'other'),
    id: fc.constantFrom(...KEYS),
    v: fc.integer({ min: 0, max: 3 }),
    partial: fc.boolean(),
  })
  .map(
    ({ kind, id, v, partial }): Op => ({
      kind,
      id,
      // A partial item (no v) shows whether patch merged it into the old one.
      data: () => (partial ? ({ id, w: v } as Item) : { id, v }),
    }),
  )

const toEvent = (o: Op) => (o.kind === 'deleted' ? ev('deleted', undefined, o.id) : ev(o.kind, o.data()))

const ranges = fc.array(
  fc.tuple(
    fc.option(fc.integer({ min: -30, max: 30 }), { nil: undefined }),
    fc.option(fc.integer({ min: -30, max: 30 }), { nil: undefined }),
  ),
  { maxLength: 4 },
)

describe('keyed list', () => {
  it('matches a Map model through every accessor, and every earlier state stays as it was', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...KEYS), { maxLength: 20 }),
        fc.array(
          fc.record({
            ops: fc.array(op, { maxLength: 16 }),
            branch: fc.array(op, { maxLength: 6 }),
            fromOlder: fc.boolean(),
          }),
          { maxLength: 10 },
        ),
        fc.boolean(),
        fc.boolean(),
        ranges,
        (snapshotKeys, steps, prepend, patch, sliceRanges) => {
          const p = policy(prepend, patch)
          const model = new Model(prepend, patch)
          // The snapshot is given in display order; a Model fed oldest first must end up the same.
          const snapshot = snapshotKeys.map((id, i) => ({ id, v: i }))
          const seen = new Map<string, Item>()
          for (const item of snapshot) seen.set(item.id, item)
          const oldestFirst = prepend ? [...snapshot].reverse() : snapshot
          for (const item of oldestFirst) {
            // A later duplicate wins; prepending it also keeps the later one's place.
            if (!model.map.has(item.id)) model.map.set(item.id, seen.get(item.id)!)
          }
          let state: KeyedList<Item> = keyedListFrom(snapshot, p)
          const history: Array<{ state: KeyedList<Item>; items: Item[]; map: Map<string, Item> }> = []
          for (const { ops, branch, fromOlder } of steps) {
            history.push({ state, items: model.items(), map: new Map(model.map) })
            // A discarded batch on an older state first, as the store re-derives optimistic
            // changes: it must change neither that state nor the lineage's later ones.
            const older = history[fromOlder ? 0 : history.length - 1]!.state
            applyToKeyedList(older, branch.map(toEvent), p)
            const previous = state
            state = applyToKeyedList(state, ops.map(toEvent), p)
            for (const o of ops) model.apply(o)
            if (ops.every((o) => o.kind === 'other')) expect(state).toBe(previous)
            expectListToMatch(state, model.items(), (key) => model.map.get(key), KEYS, sliceRanges)
          }
          for (const entry of history) {
            expectListToMatch(entry.state, entry.items, (key) => entry.map.get(key), KEYS, sliceRanges)
          }
        },
      ),
      { numRuns: 400 },
    )
  })

  it('matches the model when items is read at random points of a branching lineage', () => {
    // Batches without removes are what `items` derives from the parent's array, so most here
    // are updates and creates; states branch (a parent with several children, as optimistic
    // layering makes) and items is read on some states only, before or after their children.
    const noRemove = fc
      .record({
        kind: fc.constantFrom('created', 'updated', 'updated', 'other'),
        id: fc.constantFrom(...KEYS),
        v: fc.integer({ min: 0, max: 3 }),
        partial: fc.boolean(),
      })
      .map(
        ({ kind, id, v, partial }): Op => ({
          kind,
          id,
          data: () => (partial ? ({ id, w: v } as Item) : { id, v }),
        }),
      )
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...KEYS), { maxLength: 24 }),
        fc.array(
          fc.record({
            ops: fc.oneof(
              fc.array(noRemove, { maxLength: 8 }),
              fc.array(fc.oneof(op, noRemove), { maxLength: 8 }),
            ),
            from: fc.nat(),
            branch: fc.boolean(),
            read: fc.array(fc.nat(), { maxLength: 3 }),
          }),
          { maxLength: 16 },
        ),
        fc.boolean(),
        fc.boolean(),
        (snapshotKeys, steps, prepend, patch) => {
          const p = policy(prepend, patch)
          const first = new Model(prepend, patch)
          const snapshot = [...new Set(snapshotKeys)].map((id, i) => ({ id, v: i }))
          for (const item of prepend ? [...snapshot].reverse() : snapshot) first.map.set(item.id, item)
          type Node = { state: KeyedList<Item>; model: Model; read: readonly Item[] | null; copy: Item[] }
          const nodes: Node[] = [{ state: keyedListFrom(snapshot, p), model: first, read: null, copy: [] }]
          const readNode = (node: Node) => {
            const items = node.state.items
            expect(items).toEqual(node.model.items())
            if (node.read === null) {
              node.read = items
              node.copy = [...items]
            }
            expect(items).toBe(node.read)
          }
          for (const { ops, from, branch, read } of steps) {
            const base = branch ? nodes[from % nodes.length]! : nodes[nodes.length - 1]!
            const model = new Model(prepend, patch)
            for (const [key, item] of base.model.map) model.map.set(key, item)
            for (const o of ops) model.apply(o)
            const state = applyToKeyedList(base.state, ops.map(toEvent), p)
            nodes.push({ state, model, read: null, copy: [] })
            for (const r of read) readNode(nodes[r % nodes.length]!)
          }
          for (const node of nodes) {
            // A read array never changes afterwards, whatever was derived from its list since.
            if (node.read !== null) expect(node.read).toEqual(node.copy)
            readNode(node)
            expect(node.state.size).toBe(node.model.map.size)
          }
        },
      ),
      { numRuns: 500 },
    )
  })

  it('holds its parent only until its items are read or a batch is applied on it', () => {
    // Internal, but the memory bound depends on it: no list keeps more than its parent (and its
    // parent's array) alive, so an unread lineage never pins a chain of older arrays.
    const parentOf = (list: KeyedList<Item>) => (list as unknown as { parent: unknown }).parent
    const p = policy(false, false)
    const root = keyedListFrom([{ id: 'a', v: 1 }], p)
    const readRoot = root.items
    const child = applyToKeyedList(root, [ev('updated', { id: 'a', v: 2 })], p)
    const sibling = applyToKeyedList(root, [ev('created', { id: 'b', v: 3 })], p)
    expect([parentOf(child), parentOf(sibling)]).toEqual([root, root])
    const grandchild = applyToKeyedList(child, [ev('updated', { id: 'a', v: 4 })], p)
    expect([parentOf(child), parentOf(grandchild)]).toEqual([null, child])
    expect(sibling.items).toEqual([
      { id: 'a', v: 1 },
      { id: 'b', v: 3 },
    ])
    expect(parentOf(sibling)).toBe(null)
    // A removal shifts items: the list builds its array from the chunks and holds no parent.
    expect(parentOf(applyToKeyedList(sibling, [ev('deleted', undefined, 'a')], p))).toBe(null)
    expect([root.items, child.items, grandchild.items]).toEqual([
      readRoot,
      [{ id: 'a', v: 2 }],
      [{ id: 'a', v: 4 }],
    ])
  })

  it('returns the same list when a batch changes nothing, even after a newer one was derived', () => {
    const p = policy(false, false)
    const start = keyedListFrom([{ id: 'a', v: 1 }], p)
    const newer = applyToKeyedList(start, [ev('created', { id: 'b', v: 2 })], p)
    const item = start.get('a')!
    expect(applyToKeyedList(start, [ev('updated', item), ev('deleted', undefined, 'zz')], p)).toBe(start)
    expect(newer.items).toEqual([
      { id: 'a', v: 1 },
      { id: 'b', v: 2 },
    ])
  })

  it('leaves the list and its key index untouched when a batch throws halfway', () => {
    const p: KeyedListPolicy<Item> = {
      ...policy(false, false),
      keyOf: (item) => {
        if (item.v < 0) throw new Error('bad key')
        return item.id
      },
    }
    let start = keyedListFrom([], p)
    start = applyToKeyedList(
      start,
      Array.from({ length: 10 }, (_, i) => ev('created', { id: `k${i}`, v: i })),
      p,
    )
    const before = start.items
    expect(() =>
      applyToKeyedList(
        start,
        [ev('deleted', undefined, 'k0'), ev('created', { id: 'n', v: 1 }), ev('created', { id: 'x', v: -1 })],
        p,
      ),
    ).toThrow('bad key')
    expect(start.items).toBe(before)
    expect([start.has('k0'), start.has('n'), start.get('k9')]).toEqual([true, false, { id: 'k9', v: 9 }])
    const next = applyToKeyedList(start, [ev('deleted', undefined, 'k0')], p)
    expect(next.items.map((item) => item.id)).toEqual(['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9'])
    expect([next.get('k1'), next.get('k4'), next.has('k0')]).toEqual([
      { id: 'k1', v: 1 },
      { id: 'k4', v: 4 },
      false,
    ])
  })

  it('builds items once per list, caches them, and serializes as them', () => {
    const p = policy(true, false)
    const list = keyedListFrom(
      Array.from({ length: 9 }, (_, i) => ({ id: `k${i}`, v: i })),
      p,
    )
    expect(list.items).toBe(list.items)
    // Serialized, a list is its items: what fromSnapshot reads back, in the same order.
    const json = JSON.parse(JSON.stringify({ data: list })) as { data: Item[] }
    expect(json.data.map((item) => item.id)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8'])
    expect(keyedListFrom(json.data, p).items).toEqual(list.items)
    expect(list.slice(2, 4)).toEqual([
      { id: 'k2', v: 2 },
      { id: 'k3', v: 3 },
    ])
  })
})
