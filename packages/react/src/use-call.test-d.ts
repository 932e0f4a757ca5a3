// Type tests, checked by `tsc` 6 and 7 (pnpm typecheck): useCall types arguments and result
// from the server's procedures given to createClient, and keeps the explicit result type of an
// untyped client.
import type { createClient } from '@sluice/client'
import { defineProcedure, defineProcedures, type StandardSchemaV1 } from '@sluice/server-node'
import { expectTypeOf } from 'vitest'
import { useCall } from './use-call'

declare function schema<Input>(): StandardSchemaV1<Input>

const procedures = defineProcedures({
  'todos.stats': defineProcedure({
    input: schema<{ owner: string }>(),
    guard: 'authenticated',
    handler: async ({ owner }) => ({ open: owner.length, at: new Date() }),
  }),
  'todos.clear': { guard: 'authenticated', handler: () => {} },
})
type AppProcedures = typeof procedures

declare const untyped: ReturnType<typeof createClient>
declare const typed: ReturnType<typeof createClient<{ todos: unknown }, AppProcedures>>

export function useTypedCalls() {
  const stats = useCall(typed, 'todos.stats')
  expectTypeOf(stats.data).toEqualTypeOf<{ open: number; at: string } | undefined>()
  expectTypeOf(stats.callAsync({ owner: 'ann' })).toEqualTypeOf<Promise<{ open: number; at: string }>>()
  stats.call({ owner: 'ann' }, { fresh: true })
  // @ts-expect-error: the arguments are checked against the input schema
  stats.call({ owner: 1 })
  // @ts-expect-error: the procedure takes arguments
  stats.call()
  const clear = useCall(typed, 'todos.clear')
  clear.call()
  expectTypeOf(clear.data).toEqualTypeOf<null | undefined>()
  // The typo is reported on the name's own line, by TypeScript 6 and 7.
  useCall(
    typed,
    // @ts-expect-error: not a procedure the server defines
    'todos.stat',
  )
}

export function useUntypedCalls() {
  const stats = useCall<{ open: number }>(untyped, 'todos.stats')
  expectTypeOf(stats.callAsync({ owner: 'ann' })).toEqualTypeOf<Promise<{ open: number }>>()
  expectTypeOf(useCall(untyped, 'anything').data).toEqualTypeOf<unknown>()
  interface Query {
    owner: string
  }
  const query: Query = { owner: 'ann' }
  stats.call(query)
  // @ts-expect-error: a Date does not survive JSON as itself
  stats.call({ since: new Date() })
}
