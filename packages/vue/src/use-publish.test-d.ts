// Type tests, checked by `tsc` (pnpm typecheck): the write composables accept a real
// createClient() result, and a typed client's schema checks the topic.
import type { CrudState, createClient, PublishResult } from '@sluice/client'
import { expectTypeOf } from 'vitest'
import type { ShallowRef } from 'vue'
import { useCall } from './use-call'
import { usePublish } from './use-publish'

interface Todo {
  id: string
  title: string
}

declare const untyped: ReturnType<typeof createClient>
declare const typed: ReturnType<typeof createClient<{ todos: CrudState<Todo> }>>

export function publishTopics() {
  usePublish(typed, 'todos')
  // @ts-expect-error 'todo' is not a topic of the schema
  usePublish(typed, 'todo')
  expectTypeOf(usePublish(untyped, 'anything').data).toEqualTypeOf<
    Readonly<ShallowRef<PublishResult | undefined>>
  >()
}

export function callResult() {
  const stats = useCall<{ open: number }>(untyped, 'todos.stats')
  expectTypeOf(stats.call).returns.toEqualTypeOf<Promise<{ open: number } | undefined>>()
  expectTypeOf(stats.data).toEqualTypeOf<Readonly<ShallowRef<{ open: number } | undefined>>>()
}
