// Type tests, checked by `tsc` 6 and 7 (pnpm typecheck), never run: the server API takes the
// app's own interfaces as event data, signal data and snapshots, and refuses what JSON would not
// carry as itself.
import type { Json } from '@sluice/protocol'
import { expectTypeOf } from 'vitest'
import { createSluiceServer } from './server'

interface Todo {
  id: string
  title: string
  done?: boolean
}
interface Dated {
  id: string
  at: Date
}
declare const todo: Todo
declare const dated: Dated
declare const json: Json

const sluice = createSluiceServer({
  // A snapshot of the app's own rows (an interface) is fine.
  snapshot: async (topic): Promise<Todo[] | null> => (topic === 'todos' ? [todo] : null),
})

expectTypeOf(sluice.publish('todos', { kind: 'created', key: todo.id, data: todo })).toEqualTypeOf<
  Promise<{ epoch: string; seq: number } | null>
>()
void sluice.publish('todos', { kind: 'created', data: [todo, todo] })
void sluice.publish('todos', { kind: 'created', data: json })
void sluice.publish('todos', { kind: 'deleted', key: 't1' })
// @ts-expect-error a Date does not survive JSON as itself
void sluice.publish('todos', { kind: 'created', data: dated })
// @ts-expect-error a function does not survive JSON
void sluice.publish('todos', { kind: 'created', data: { id: 't1', run: () => 1 } })

void sluice.signal('user-1', 'todo.assigned', todo)
void sluice.signal({ connection: 'c1' }, 'export.done', { url: 'https://example.com/e.csv' })
void sluice.signal('user-1', 'ping')
// @ts-expect-error bigint makes JSON.stringify throw
void sluice.signal('user-1', 'count', { n: 1n })

// derive infers its state from `initial` as the widened type (`0` is a number, so the reducer
// may return any number), takes interfaces, and refuses a state JSON would not carry as itself.
interface Tally {
  votes: number
}
const count = sluice.derive('votes:count', { from: 'votes', initial: 0, reduce: (n) => n + 1 })
expectTypeOf(count.state()).toEqualTypeOf<number>()
const tally = sluice.derive('votes:tally', {
  from: 'votes',
  initial: { votes: 0 } as Tally,
  reduce: (state) => ({ votes: state.votes + 1 }),
})
expectTypeOf(tally.state()).toEqualTypeOf<Tally>()
sluice.derive('votes:since', {
  from: 'votes',
  // @ts-expect-error a Date reaches subscribers as a string, not as itself
  initial: new Date(),
  reduce: (state) => state,
})
