// Type tests, checked by `tsc` (pnpm typecheck): the composables accept a real createClient()
// result and infer data types from the merge strategy or from the client's topic schema.
import { type CrudState, type createClient, crud, type SubscriptionState } from '@sluice/client'
import { expectTypeOf } from 'vitest'
import { ref, type ShallowRef } from 'vue'
import { useConnection } from './use-connection'
import { useRealtime } from './use-realtime'

interface Todo {
  id: string
  title: string
}

declare const untyped: ReturnType<typeof createClient>
declare const typed: ReturnType<typeof createClient<{ todos: CrudState<Todo>; feed: readonly string[] }>>

export function inferFromMerge() {
  expectTypeOf(useRealtime(untyped, ref('todos'), () => ({ merge: crud<Todo>() }))).toEqualTypeOf<
    Readonly<ShallowRef<SubscriptionState<CrudState<Todo>>>>
  >()
  expectTypeOf(useConnection(untyped).value.transport).toEqualTypeOf<'ws' | 'sse' | null>()
}

export function inferFromSchema() {
  expectTypeOf(useRealtime(typed, 'todos', { merge: crud<Todo>() }).value.data.items).toEqualTypeOf<
    readonly Todo[]
  >()
  // @ts-expect-error: the schema says `feed` holds strings, not a crud list
  useRealtime(typed, 'feed', { merge: crud<Todo>() })
}
