// Type tests, checked by `tsc` (pnpm typecheck): the composables accept a real createClient()
// result and infer data types from the merge strategy or from the client's topic schema.
import {
  type ClientError,
  type CrudState,
  type createClient,
  crud,
  type SubscriptionState,
} from '@sluice/client'
import { expectTypeOf } from 'vitest'
import { ref, type ShallowRef } from 'vue'
import type { RealtimeResult, UseRealtime } from './realtime-result'
import { useConnection } from './use-connection'
import { useRealtime } from './use-realtime'

interface Todo {
  id: string
  title: string
}

declare const untyped: ReturnType<typeof createClient>
declare const typed: ReturnType<typeof createClient<{ todos: CrudState<Todo>; feed: readonly string[] }>>

export function inferFromMerge() {
  const todos = useRealtime(untyped, ref('todos'), () => ({ merge: crud<Todo>() }))
  expectTypeOf(todos).toEqualTypeOf<UseRealtime<CrudState<Todo>>>()
  // Still a read-only shallow ref of (at least) the store's state, as before the flags.
  expectTypeOf(todos).toMatchTypeOf<Readonly<ShallowRef<SubscriptionState<CrudState<Todo>>>>>()
  expectTypeOf(useConnection(untyped).value.transport).toEqualTypeOf<'ws' | 'sse' | null>()
}

export function inferFromSchema() {
  expectTypeOf(useRealtime(typed, 'todos', { merge: crud<Todo>() }).value.data.items).toEqualTypeOf<
    readonly Todo[]
  >()
  // @ts-expect-error: the schema says `feed` holds strings, not a crud list
  useRealtime(typed, 'feed', { merge: crud<Todo>() })
}

export function flagsActionsAndSuspense() {
  const enabled = ref(false)
  const todos = useRealtime(untyped, 'todos', { merge: crud<Todo>(), enabled })
  useRealtime(untyped, 'todos', { merge: crud<Todo>(), enabled: () => enabled.value })
  useRealtime(untyped, 'todos', { merge: crud<Todo>(), enabled: true })
  expectTypeOf(todos.value.isConnecting).toEqualTypeOf<boolean>()
  expectTypeOf(todos.value.isLive).toEqualTypeOf<boolean>()
  expectTypeOf(todos.value.isResyncing).toEqualTypeOf<boolean>()
  expectTypeOf(todos.value.isError).toEqualTypeOf<boolean>()
  expectTypeOf(todos.value.isStale).toEqualTypeOf<boolean>()
  expectTypeOf(todos.value.resync).toEqualTypeOf<() => boolean>()
  expectTypeOf(todos.value.refetch).toEqualTypeOf<() => Promise<RealtimeResult<CrudState<Todo>>>>()
  expectTypeOf(todos.suspense).toEqualTypeOf<() => Promise<RealtimeResult<CrudState<Todo>>>>()
  useRealtime(untyped, 'todos', {
    merge: crud<Todo>(),
    throwOnError: (error) => {
      expectTypeOf(error).toEqualTypeOf<ClientError>()
      return error.code === 'FORBIDDEN'
    },
  })
  // @ts-expect-error: enabled is a boolean (or a ref or getter of one)
  useRealtime(untyped, 'todos', { merge: crud<Todo>(), enabled: 'yes' })
}

export async function suspenseDataIsDefined() {
  const todos = useRealtime(typed, 'todos', { merge: crud<Todo>() })
  const ready = await todos.suspense()
  expectTypeOf(ready.data).toEqualTypeOf<CrudState<Todo>>()
  expectTypeOf(ready.data.items).toEqualTypeOf<readonly Todo[]>()
}

export function topicTypoReportedAtTheTopic() {
  // One signature for every client: the error sits on the topic's own line, naming it, under
  // TypeScript 6 and 7 (with overloads, 7 reported it at the client argument).
  useRealtime(
    typed,
    // @ts-expect-error: 'todo' is not a topic of the schema
    'todo',
    { merge: crud<Todo>() },
  )
}
