import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type CrudState, crud } from './crud'
import { ev, snap } from './test-events'
import { expectListToMatch } from './test-list'

interface Todo {
  id: string
  title: string
  done?: boolean
}

const t = (id: string, title = id.toUpperCase()): Todo => ({ id, title })
const view = (items: readonly Todo[]) => items.map((todo) => `${todo.id}:${todo.title}`)

describe('crud', () => {
  it('creates, updates and deletes by key, keeping insertion order', () => {
    const merge = crud<Todo>()
    const state = merge.apply(merge.initial(), [
      ev('created', t('a')),
      ev('created', t('b')),
      ev('created', t('c')),
      ev('updated', t('b', 'B2')),
      ev('deleted', undefined, 'a'),
    ])
    expect(view(state.items)).toEqual(['b:B2', 'c:C'])
    expect([state.get('a'), state.get('b'), state.has('c'), state.has('a')]).toEqual([
      undefined,
      t('b', 'B2'),
      true,
      false,
    ])
  })

  it('upserts: created of a known key updates, updated of an unknown key inserts', () => {
    const merge = crud<Todo>()
    const start = snap(merge, [t('a')])
    const state = merge.apply(start, [ev('created', t('a', 'again')), ev('updated', t('z', 'new'))])
    expect(view(state.items)).toEqual(['a:again', 'z:new'])
  })

  it('returns the same reference when nothing changed', () => {
    const merge = crud<Todo>()
    const start = snap(merge, [t('a')])
    const item = start.items[0]!
    expect(merge.apply(start, [])).toBe(start)
    expect(merge.apply(start, [ev('deleted', undefined, 'missing')])).toBe(start)
    expect(merge.apply(start, [ev('renamed', t('a', 'x'))])).toBe(start)
    expect(merge.apply(start, [ev('updated', item)])).toBe(start)
    expect(merge.apply(start, [ev('created', { title: 'no key' })])).toBe(start)
    expect(merge.apply(start, [ev('updated', undefined, 'a')])).toBe(start)
  })

  it('never changes a previous state, which still answers lookups after newer states were derived', () => {
    const merge = crud<Todo>()
    const start = snap(merge, [t('a'), t('b'), t('c')])
    const items = [...start.items]
    const next = merge.apply(start, [
      ev('deleted', undefined, 'b'),
      ev('created', t('d')),
      ev('updated', t('a', 'A2')),
    ])
    const other = merge.apply(start, [ev('deleted', undefined, 'a')])
    expect(start.items).toEqual(items)
    expect([start.get('a'), start.get('b'), start.get('d'), start.get('c')]).toEqual([
      t('a'),
      t('b'),
      undefined,
      t('c'),
    ])
    expect([next.get('a'), next.get('b'), next.get('d'), next.get('c')]).toEqual([
      t('a', 'A2'),
      undefined,
      t('d'),
      t('c'),
    ])
    expect(view(other.items)).toEqual(['b:B', 'c:C'])
    expect([other.get('a'), other.get('c')]).toEqual([undefined, t('c')])
    expect(view(merge.apply(next, [ev('deleted', undefined, 'c')]).items)).toEqual(['a:A2', 'd:D'])
  })

  it('recovers when a key function throws halfway through a batch', () => {
    const merge = crud<Todo>({
      key: (todo) => {
        if (todo.title === 'boom') throw new Error('bad key')
        return todo.id
      },
    })
    const start = snap(merge, [t('a')])
    expect(() =>
      merge.apply(start, [ev('created', t('b')), ev('created', { id: 'x', title: 'boom' })]),
    ).toThrow('bad key')
    expect([start.has('a'), start.has('b')]).toEqual([true, false])
    expect(view(merge.apply(start, [ev('created', t('c'))]).items)).toEqual(['a:A', 'c:C'])
  })

  it('prepends new items newest first, also within one batch', () => {
    const merge = crud<Todo>({ prepend: true })
    const start = snap(merge, [t('x'), t('y')])
    const state = merge.apply(start, [
      ev('created', t('a')),
      ev('created', t('b')),
      ev('created', t('c')),
      ev('updated', t('b', 'B2')),
      ev('deleted', undefined, 'a'),
      ev('deleted', undefined, 'y'),
    ])
    expect(view(state.items)).toEqual(['c:C', 'b:B2', 'x:X'])
    expect([state.has('a'), state.has('y'), state.get('b')]).toEqual([false, false, t('b', 'B2')])
    expect(view(merge.apply(state, [ev('created', t('n'))]).items)).toEqual(['n:N', 'c:C', 'b:B2', 'x:X'])
  })

  it('adopts a list built by hand, reading keys from its items', () => {
    const merge = crud<Todo>()
    const restored = { items: [t('a'), t('b')] } as unknown as CrudState<Todo>
    const state = merge.apply(restored, [ev('updated', t('b', 'B2')), ev('created', t('c'))])
    expect(view(state.items)).toEqual(['a:A', 'b:B2', 'c:C'])
    expect(state.get('b')).toEqual(t('b', 'B2'))
  })

  it('uses a key function and the event key, and keeps keys of items that do not carry them', () => {
    const merge = crud<{ slug: string; n: number }>({ key: (item) => item.slug })
    let state = merge.apply(merge.initial(), [
      ev('created', { slug: 's1', n: 1 }),
      ev('created', { n: 2 }, 'k2'),
    ])
    state = merge.apply(state, [ev('deleted', undefined, 's1'), ev('updated', { n: 3 }, 'k2')])
    expect(state.items).toEqual([{ n: 3 }])
    expect([state.get('k2'), state.has('s1')]).toEqual([{ n: 3 }, false])
  })

  it('accepts numeric ids', () => {
    const merge = crud<{ id: number }>()
    const state = merge.apply(merge.initial(), [ev('created', { id: 1 }), ev('deleted', undefined, '1')])
    expect(state.items).toEqual([])
  })

  it('shallow-merges updates with patch: true', () => {
    const merge = crud<Todo>({ patch: true })
    const start = snap(merge, [{ id: 'a', title: 'A', done: false }])
    const state = merge.apply(start, [ev('updated', { id: 'a', done: true })])
    expect(state.items).toEqual([{ id: 'a', title: 'A', done: true }])
  })

  it('reads snapshots as an array or { items }, last duplicate winning in place', () => {
    const merge = crud<Todo>()
    expect(view(snap(merge, [t('a'), t('b'), t('a', 'A2')]).items)).toEqual(['a:A2', 'b:B'])
    expect(view(snap(merge, { items: [t('q')] }).items)).toEqual(['q:Q'])
    expect(() => snap(merge, { todos: [] })).toThrow(
      new TypeError(
        'crud(): snapshot data must be an array or an object with an array "items"; received an object with keys [todos]',
      ),
    )
  })

  it('matches a naive Map model for any sequence of batches', () => {
    const toEvent = (o: { kind: string; id: string; title: string; viaEventKey: boolean }) =>
      o.kind === 'deleted'
        ? ev('deleted', o.viaEventKey ? undefined : { id: o.id }, o.viaEventKey ? o.id : undefined)
        : ev(o.kind, { id: o.id, title: o.title }, o.viaEventKey ? o.id : undefined)
    const op = fc.record({
      kind: fc.constantFrom('created', 'updated', 'deleted', 'other'),
      id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      title: fc.string({ maxLength: 3 }),
      viaEventKey: fc.boolean(),
    })
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ ops: fc.array(op, { maxLength: 12 }), branch: fc.array(op, { maxLength: 4 }) }),
          {
            maxLength: 8,
          },
        ),
        fc.boolean(),
        (steps, prepend) => {
          const merge = crud<Todo>({ prepend })
          let state = merge.initial()
          // The model: a Map keeps insertion order; prepend mode reverses the order of arrival.
          const model = new Map<string, Todo>()
          for (const { ops: batch, branch } of steps) {
            const previous = state
            // A discarded batch applied to the same state first, as the store does when it
            // derives optimistic changes from confirmed state: it must not affect the real one.
            merge.apply(state, branch.map(toEvent))
            state = merge.apply(state, batch.map(toEvent))
            for (const o of batch) {
              if (o.kind === 'deleted') model.delete(o.id)
              else if (o.kind !== 'other') model.set(o.id, { id: o.id, title: o.title })
            }
            const expected = prepend ? [...model.values()].reverse() : [...model.values()]
            expectListToMatch(
              state,
              expected,
              (id) => model.get(id),
              ['a', 'b', 'c', 'd', 'e', 'f'],
              [[1, -1]],
            )
            if (batch.every((o) => o.kind === 'other')) {
              expect(state).toBe(previous)
            }
          }
        },
      ),
      { numRuns: 300 },
    )
  })
  it('matches the model at scale: thousands of items, deletes and prepends, older states intact', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.array(
          fc.array(
            fc.record({
              kind: fc.constantFrom('created', 'updated', 'deleted'),
              // Keys past the snapshot's are new items; a run of deletes empties whole chunks.
              id: fc.nat({ max: 6000 }),
              run: fc.integer({ min: 1, max: 200 }),
            }),
            { maxLength: 30 },
          ),
          { minLength: 1, maxLength: 6 },
        ),
        fc.boolean(),
        (size, batches, prepend) => {
          const merge = crud<Todo>({ prepend })
          const snapshot = Array.from({ length: size }, (_, i) => t(`k${i}`, `s${i}`))
          const model = new Map(snapshot.map((todo) => [todo.id, todo]))
          const ordered = () => (prepend ? [...model.values()].reverse() : [...model.values()])
          let state = snap(merge, prepend ? [...snapshot].reverse() : snapshot)
          const first = { state, items: ordered() }
          let title = 0
          for (const batch of batches) {
            const events = batch.flatMap(({ kind, id, run }) =>
              Array.from({ length: kind === 'deleted' ? run : 1 }, (_, r) => {
                const key = `k${id + r}`
                if (kind === 'deleted') {
                  model.delete(key)
                  return ev('deleted', undefined, key)
                }
                const todo = t(key, `t${title++}`)
                model.set(key, todo)
                return ev(kind, todo)
              }),
            )
            state = merge.apply(state, events)
            const expected = ordered()
            const keys = batch.map(({ id }) => `k${id}`)
            expectListToMatch(state, expected, (key) => model.get(key), keys, [
              [-70, -3],
              [size >> 1, (size >> 1) + 130],
            ])
          }
          expect(first.state.items).toEqual(first.items)
          expect(first.state.get('k0')).toEqual(first.items.find((todo) => todo.id === 'k0'))
        },
      ),
      { numRuns: 40 },
    )
  })
  it('keeps every held state whole through a long churn of creates and deletes', () => {
    const merge = crud<Todo>()
    let state = snap(
      merge,
      Array.from({ length: 100 }, (_, i) => t(`k${i}`)),
    )
    const model = new Map(state.items.map((todo) => [todo.id, todo]))
    const held: Array<{ state: CrudState<Todo>; items: Todo[] }> = [{ state, items: [...model.values()] }]
    // 40 batches each adding 100 keys and deleting the 100 oldest: far past the writes after
    // which the key index starts a new Map (see key-index.ts), with states held across it.
    for (let batch = 1; batch <= 40; batch++) {
      const events = []
      for (let i = 0; i < 100; i++) {
        const added = t(`k${batch * 100 + i}`)
        model.set(added.id, added)
        events.push(ev('created', added))
        model.delete(`k${(batch - 1) * 100 + i}`)
        events.push(ev('deleted', undefined, `k${(batch - 1) * 100 + i}`))
      }
      state = merge.apply(state, events)
      if (batch % 7 === 0) held.push({ state, items: [...model.values()] })
    }
    expectListToMatch(state, [...model.values()], (key) => model.get(key), ['k0', 'k3999', 'k4000', 'k4099'])
    for (const { state: old, items } of held) {
      const byKey = new Map(items.map((todo) => [todo.id, todo]))
      expectListToMatch(old, items, (key) => byKey.get(key), [items[0]!.id, items[99]!.id, 'k4050'])
    }
  })
})
