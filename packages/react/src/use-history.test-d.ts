// Type tests, checked by `tsc` (pnpm typecheck): useHistory takes a real createClient() result
// and the very options object a useRealtime got; a typed client's schema checks topic and strategy.
import { type CrudState, type createClient, crud, latest } from '@sluice/client'
import { expectTypeOf } from 'vitest'
import { type UseHistoryResult, useHistory } from './use-history'
import { useRealtime } from './use-realtime'

interface Todo {
  id: string
  title: string
}

declare const untyped: ReturnType<typeof createClient>
declare const typed: ReturnType<typeof createClient<{ todos: CrudState<Todo>; feed: readonly string[] }>>

export function useSharedOptions() {
  const options = { merge: latest<string>({ size: 50 }), rewind: 20, enabled: true }
  useRealtime(untyped, 'feed', options)
  const history = useHistory(untyped, 'feed', options)
  expectTypeOf(history).toEqualTypeOf<UseHistoryResult>()
  expectTypeOf(history.end).toEqualTypeOf<'log_start' | 'too_old' | 'epoch_changed' | 'ahead' | null>()
  expectTypeOf(history.loadMore).returns.toEqualTypeOf<
    Promise<'log_start' | 'too_old' | 'epoch_changed' | 'ahead' | null | undefined>
  >()
}

export function useSchema() {
  useHistory(typed, 'todos', { merge: crud<Todo>() })
  // @ts-expect-error: the schema says `feed` holds strings, not a crud list
  useHistory(typed, 'feed', { merge: crud<Todo>() })
  // @ts-expect-error: not a topic of the schema
  useHistory(typed, 'nope', { merge: crud<Todo>() })
}
