// Type tests, checked by `tsc` (pnpm typecheck): the write composables accept a real
// createClient() result, and a typed client's schema checks the topic.
import type { CrudState, CrudTopic, createClient, LatestTopic, PublishResult } from '@sluice/client'
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
declare const topics: ReturnType<
  typeof createClient<{ todos: CrudTopic<Todo>; chat: LatestTopic<{ text: string }> }>
>
declare const todo: Todo

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

export function publishTopicEvents() {
  const todos = usePublish(topics, 'todos')
  // An interface is fine as data; the kinds are crud's.
  void todos.publish({ kind: 'created', key: todo.id, data: todo })
  void todos.publish({ kind: 'deleted', key: 't1' })
  // @ts-expect-error crud applies created, updated and deleted only
  void todos.publish({ kind: 'said', data: todo })
  // @ts-expect-error the data is not a Todo
  void todos.publish({ kind: 'created', data: { text: 'hi' } })
  void usePublish(topics, 'chat').publish({ kind: 'said', data: { text: 'hi' } })
  // An untyped client takes any JSON-compatible data, an interface included.
  void usePublish(untyped, 'anything').publish({ kind: 'created', data: todo })
  // The typo is reported on the topic's own line (not the client's), by TypeScript 6 and 7.
  usePublish(
    topics,
    // @ts-expect-error 'todo' is not a topic of the schema
    'todo',
  )
}
