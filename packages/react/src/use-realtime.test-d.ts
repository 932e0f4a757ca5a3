// Type tests, checked by `tsc` (pnpm typecheck): the hooks accept a real createClient() result
// and infer data types from the merge strategy or from the client's topic schema.
import { type ClientError, type CrudState, type createClient, crud, latest } from '@sluice/client'
import { expectTypeOf } from 'vitest'
import type { RealtimeResult } from './realtime-result'
import { useConnection } from './use-connection'
import { useRealtime } from './use-realtime'
import { useSuspenseRealtime } from './use-suspense-realtime'

interface Todo {
  id: string
  title: string
}

declare const untyped: ReturnType<typeof createClient>
declare const typed: ReturnType<typeof createClient<{ todos: CrudState<Todo>; feed: readonly string[] }>>

export function useInferFromMerge() {
  expectTypeOf(useRealtime(untyped, 'todos', { merge: crud<Todo>() })).toEqualTypeOf<
    RealtimeResult<CrudState<Todo>>
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

export function useFlagsAndActions() {
  const todos = useRealtime(untyped, 'todos', { merge: crud<Todo>(), enabled: false })
  expectTypeOf(todos.isConnecting).toEqualTypeOf<boolean>()
  expectTypeOf(todos.isLive).toEqualTypeOf<boolean>()
  expectTypeOf(todos.isResyncing).toEqualTypeOf<boolean>()
  expectTypeOf(todos.isError).toEqualTypeOf<boolean>()
  expectTypeOf(todos.isStale).toEqualTypeOf<boolean>()
  expectTypeOf(todos.resync).toEqualTypeOf<() => boolean>()
  expectTypeOf(todos.refetch).toEqualTypeOf<() => Promise<RealtimeResult<CrudState<Todo>>>>()
  useRealtime(untyped, 'todos', {
    merge: crud<Todo>(),
    throwOnError: (error) => {
      expectTypeOf(error).toEqualTypeOf<ClientError>()
      return error.code === 'FORBIDDEN'
    },
  })
  // @ts-expect-error: enabled is a boolean, not a getter (that is Vue's form)
  useRealtime(untyped, 'todos', { merge: crud<Todo>(), enabled: () => true })
}

export function useSuspenseData() {
  const todos = useSuspenseRealtime(typed, 'todos', { merge: crud<Todo>() })
  expectTypeOf(todos.data).toEqualTypeOf<CrudState<Todo>>()
  expectTypeOf(todos.data).not.toEqualTypeOf<CrudState<Todo> | undefined>()
  expectTypeOf(
    useSuspenseRealtime(untyped, 'feed', { merge: latest<string>({ size: 3 }) }).data,
  ).toEqualTypeOf<readonly string[]>()
  // @ts-expect-error: a suspended render must have something to wait for
  useSuspenseRealtime(untyped, 'todos', { merge: crud<Todo>(), enabled: false })
  // @ts-expect-error: the schema says `feed` holds strings, not a crud list
  useSuspenseRealtime(typed, 'feed', { merge: crud<Todo>() })
}

export function useTopicTypoReportedAtTheTopic() {
  // One signature for every client: the error sits on the topic's own line, naming it, under
  // TypeScript 6 and 7 (with overloads, 7 reported it at the client argument).
  useRealtime(
    typed,
    // @ts-expect-error: 'todo' is not a topic of the schema
    'todo',
    { merge: crud<Todo>() },
  )
}
