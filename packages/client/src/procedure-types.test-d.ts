// Type tests: checked by `pnpm typecheck` (tsc 6 and 7), never run. Procedures typed end to end:
// the server's `typeof procedures` types `client.call` with no code generation.
import type { Json } from '@sluice/protocol'
import { defineProcedure, defineProcedures, type StandardSchemaV1 } from '@sluice/server-node'
import { expectTypeOf } from 'vitest'
import { createClient } from './client'
import type { ProcedureArgs, ProcedureResult } from './procedure-types'

// A Standard Schema as zod or valibot would make it: the input a client sends, the output the handler gets.
declare function schema<Input, Output = Input>(): StandardSchemaV1<Input, Output>

interface Stats {
  open: number
  done: number
  since: Date
}

const procedures = defineProcedures({
  'todos.stats': defineProcedure({
    input: schema<{ owner: string }>(),
    guard: 'authenticated',
    handler: async ({ owner }): Promise<Stats> => ({ open: owner.length, done: 0, since: new Date() }),
  }),
  // The schema turns what the client sends (a string) into what the handler gets (a number).
  'todos.page': defineProcedure({
    input: schema<{ page: string }, { page: number }>(),
    guard: 'authenticated',
    handler: ({ page }) => ({ page, items: ['a'] as string[] }),
  }),
  // No schema: the handler's parameter type is what clients send.
  'todos.rename': {
    guard: 'authenticated',
    handler: (args: { id: string; title: string }) => args.title,
  },
  // No arguments and no result: called without arguments, resolves with null.
  'todos.clear': { guard: 'authenticated', handler: () => {} },
  ping: () => 'pong' as const,
})
type AppProcedures = typeof procedures

expectTypeOf<ProcedureArgs<AppProcedures['todos.stats']>>().toEqualTypeOf<{ owner: string }>()
expectTypeOf<ProcedureResult<AppProcedures['todos.stats']>>().toEqualTypeOf<{
  open: number
  done: number
  since: string
}>()

const client = createClient<{ todos: unknown }, AppProcedures>({ url: 'http://localhost/realtime' })

// The result is the handler's, after JSON (a Date arrives as a string).
expectTypeOf(client.call('todos.stats', { owner: 'ann' })).toEqualTypeOf<
  Promise<{ open: number; done: number; since: string }>
>()
// The client sends the schema's input type, not the handler's.
expectTypeOf(client.call('todos.page', { page: '2' })).toEqualTypeOf<
  Promise<{ page: number; items: string[] }>
>()
expectTypeOf(client.call('todos.rename', { id: 't1', title: 'Ship' })).toEqualTypeOf<Promise<string>>()
expectTypeOf(client.call('todos.clear')).toEqualTypeOf<Promise<null>>()
expectTypeOf(client.call('ping', undefined, { fresh: true })).toEqualTypeOf<Promise<'pong'>>()

// @ts-expect-error the arguments are checked against the input schema
void client.call('todos.stats', { owner: 1 })
// @ts-expect-error a procedure with an input takes arguments
void client.call('todos.stats')
// @ts-expect-error the schema's input is a string page, not the handler's number
void client.call('todos.page', { page: 2 })
// @ts-expect-error without a schema, the handler's parameter type is checked
void client.call('todos.rename', { id: 't1' })
// @ts-expect-error not a procedure the server defines
void client.call('todos.stat', { owner: 'ann' })

// Without procedure types: any name, JSON-compatible arguments (interfaces too), unknown result.
interface Query {
  owner: string
}
declare const query: Query
const loose = createClient({ url: 'http://localhost/realtime' })
expectTypeOf(loose.call('anything', query)).toEqualTypeOf<Promise<unknown>>()
expectTypeOf(loose.call('anything')).toEqualTypeOf<Promise<unknown>>()
// @ts-expect-error a Date does not survive JSON as itself
void loose.call('anything', { since: new Date() })
declare const anyJson: Json
expectTypeOf(loose.call('anything', anyJson)).toEqualTypeOf<Promise<unknown>>()
