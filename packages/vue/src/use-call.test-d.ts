// Type tests, checked by `tsc` 6 and 7 (pnpm typecheck): useCall types arguments and result
// from the server's procedures given to createClient, and keeps the explicit result type of an
// untyped client.
import type { createClient } from '@sluice/client'
import { defineProcedure, defineProcedures, type StandardSchemaV1 } from '@sluice/server-node'
import { expectTypeOf } from 'vitest'
import { ref, type ShallowRef } from 'vue'
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

export function typedCalls() {
  const stats = useCall(typed, 'todos.stats')
  expectTypeOf(stats.data).toEqualTypeOf<Readonly<ShallowRef<{ open: number; at: string } | undefined>>>()
  expectTypeOf(stats.call({ owner: 'ann' })).toEqualTypeOf<
    Promise<{ open: number; at: string } | undefined>
  >()
  // @ts-expect-error the arguments are checked against the input schema
  void stats.call({ owner: 1 })
  // @ts-expect-error the procedure takes arguments
  void stats.call()
  void useCall(typed, 'todos.clear').call()
  // The typo is reported on the name's own line, by TypeScript 6 and 7.
  useCall(
    typed,
    // @ts-expect-error not a procedure the server defines
    'todos.stat',
  )
}

export function untypedCalls() {
  const stats = useCall<{ open: number }>(untyped, ref('todos.stats'))
  expectTypeOf(stats.call({ owner: 'ann' })).toEqualTypeOf<Promise<{ open: number } | undefined>>()
  expectTypeOf(useCall(untyped, 'anything').data).toEqualTypeOf<Readonly<ShallowRef<unknown>>>()
  interface Query {
    owner: string
  }
  const query: Query = { owner: 'ann' }
  void stats.call(query)
  // @ts-expect-error a Date does not survive JSON as itself
  void stats.call({ since: new Date() })
}
