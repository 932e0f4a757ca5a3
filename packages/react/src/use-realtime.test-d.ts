// Type tests, checked by `tsc` (pnpm typecheck): the hooks accept a real createClient() result
// and infer data types from the merge strategy or from the client's topic schema.
import { type CrudState, type createClient, crud, latest, type SubscriptionState } from '@sluice/client'
import { expectTypeOf } from 'vitest'
import { useConnection } from './use-connection'
import { useRealtime } from './use-realtime'

interface Todo {
  id: string
  title: string
}

declare const untyped: ReturnType<typeof createClient>
declare const typed: ReturnType<typeof createClient<{ todos: CrudState<Todo>; feed: readonly string[] }>>

export function useInferFromMerge() {
  expectTypeOf(useRealtime(untyped, 'todos', { merge: crud<Todo>() })).toEqualTypeOf<
    SubscriptionState<CrudState<Todo>>
  >()
  expectTypeOf(useRealtime(untyped, 'feed', { merge: latest<string>({ size: 3 }) }).data).toEqualTypeOf<
    readonly string[]
  >()
  expectTypeOf(useConnection(untyped).status).toEqualTypeOf<
    'idle' | 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closed'
  >()
}

export function useInferFromSchema() {
  expectTypeOf(useRealtime(typed, 'todos', { merge: crud<Todo>() }).data.items).toEqualTypeOf<
    readonly Todo[]
  >()
  // @ts-expect-error: the schema says `feed` holds strings, not a crud list
  useRealtime(typed, 'feed', { merge: crud<Todo>() })
  // @ts-expect-error: not a topic of the schema
  useRealtime(typed, 'nope', { merge: crud<Todo>() })
}
