// Type tests: checked by `pnpm typecheck` (tsc 6 and 7), never run.
import { expectTypeOf } from 'vitest'
import type { JsonCompatible, Jsonified } from './json-compatible'

// The check as the client and the server apply it: data passes when it is assignable to its own JsonCompatible.
declare function json<T>(value: T & JsonCompatible<T>): void

interface Todo {
  id: string
  title: string
  done?: boolean
  tags: readonly string[]
  owner: { name: string } | null
}
interface Tree {
  label: string
  children: Tree[]
}
declare const todo: Todo
declare const tree: Tree

// Interfaces pass (they have no index signature, which the `Json` type would need).
json(todo)
json(tree)
json([todo, todo])
json({ list: [todo], count: 1, pair: ['a', 1] as [string, number] })
json(null)
json('text')

interface WithDate {
  id: string
  at: Date
}
declare const withDate: WithDate
// @ts-expect-error a Date is not JSON as itself (it arrives as a string)
json(withDate)
// @ts-expect-error a Map arrives as {}
json({ byId: new Map<string, Todo>() })
// @ts-expect-error a function is dropped by JSON
json({ id: 't1', run: () => 1 })
// @ts-expect-error bigint makes JSON.stringify throw
json({ id: 't1', size: 10n })
// @ts-expect-error a symbol is dropped by JSON
json({ id: 't1', tag: Symbol('t') })

// What a procedure's result becomes on the client: toJSON applied, functions and undefined dropped.
expectTypeOf<Jsonified<{ at: Date; n: number; f: () => void; u: undefined }>>().toEqualTypeOf<{
  at: string
  n: number
}>()
expectTypeOf<Jsonified<Todo>>().toEqualTypeOf<{
  id: string
  title: string
  done?: boolean
  tags: string[]
  owner: { name: string } | null
}>()
expectTypeOf<Jsonified<Array<Date | undefined>>>().toEqualTypeOf<(string | null)[]>()
