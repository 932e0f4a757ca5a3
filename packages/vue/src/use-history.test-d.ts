// Type tests, checked by `tsc` (pnpm typecheck): useHistory takes a real createClient() result
// and the very options object a useRealtime got; a typed client's schema checks topic and strategy.
import { type CrudState, type createClient, crud, latest } from '@sluice/client'
import { expectTypeOf } from 'vitest'
import type { Ref } from 'vue'
import { useHistory } from './use-history'
import { usePublish } from './use-publish'
import { useRealtime } from './use-realtime'

interface Todo {
  id: string
  title: string
}

type End = 'log_start' | 'too_old' | 'epoch_changed' | 'ahead' | null

declare const untyped: ReturnType<typeof createClient>
declare const typed: ReturnType<typeof createClient<{ todos: CrudState<Todo>; feed: readonly string[] }>>

export function sharedOptions() {
  const options = { merge: latest<string>({ size: 50 }), rewind: 20 }
  useRealtime(untyped, 'feed', options)
  const history = useHistory(untyped, 'feed', () => options)
  expectTypeOf(history.end).toEqualTypeOf<Readonly<Ref<End>>>()
  expectTypeOf(history.hasMore).toEqualTypeOf<Readonly<Ref<boolean>>>()
  expectTypeOf(history.loadMore).returns.toEqualTypeOf<Promise<End | undefined>>()
}

export function schema() {
  useHistory(typed, 'todos', { merge: crud<Todo>() })
  // @ts-expect-error: the schema says `feed` holds strings, not a crud list
  useHistory(typed, 'feed', { merge: crud<Todo>() })
  // @ts-expect-error: not a topic of the schema
  useHistory(typed, 'nope', { merge: crud<Todo>() })
}

export function optimisticPublish() {
  const todosMerge = crud<Todo>()
  const { publish } = usePublish(typed, 'todos')
  publish({ kind: 'created', key: 'a', data: { id: 'a', title: 'A' } }, { optimistic: { merge: todosMerge } })
  // @ts-expect-error: optimistic needs the strategy that names the store
  publish({ kind: 'created', key: 'a' }, { optimistic: {} })
}
