// Type tests, checked by `tsc` 6 and 7 (pnpm typecheck): usePublish takes a real client, checks
// the topic against a typed client's schema and types the event from the topic's entry.
import {
  type CrudState,
  type CrudTopic,
  type createClient,
  crud,
  type LatestTopic,
  type PublishResult,
} from '@sluice/client'
import { expectTypeOf } from 'vitest'
import { usePublish } from './use-publish'

interface Todo {
  id: string
  title: string
}
interface Message {
  text: string
}
declare const todo: Todo

declare const untyped: ReturnType<typeof createClient>
declare const typed: ReturnType<typeof createClient<{ todos: CrudState<Todo> }>>
declare const topics: ReturnType<typeof createClient<{ todos: CrudTopic<Todo>; chat: LatestTopic<Message> }>>

export function usePublishes() {
  const { publishAsync, data } = usePublish(untyped, 'anything')
  expectTypeOf(publishAsync({ kind: 'created', key: 't1' })).toEqualTypeOf<Promise<PublishResult>>()
  expectTypeOf(data).toEqualTypeOf<PublishResult | undefined>()
  // An interface is JSON-compatible data.
  usePublish(untyped, 'anything').publish({ kind: 'created', key: todo.id, data: todo })
  usePublish(typed, 'todos').publish(
    { kind: 'created', key: 't1', data: { id: 't1', title: 'Ship' } },
    { optimistic: { merge: crud<Todo>() } },
  )
  // @ts-expect-error: not a topic of the schema
  usePublish(typed, 'nope')
}

export function usePublishesTopicEvents() {
  const todos = usePublish(topics, 'todos')
  todos.publish({ kind: 'created', key: todo.id, data: todo }, { optimistic: { merge: crud<Todo>() } })
  todos.publish({ kind: 'deleted', key: 't1' })
  // @ts-expect-error: crud applies created, updated and deleted only
  todos.publish({ kind: 'said', data: todo })
  // @ts-expect-error: the data is not a Todo
  todos.publish({ kind: 'created', data: { text: 'hi' } })
  usePublish(topics, 'chat').publish({ kind: 'said', data: { text: 'hi' } })
  // @ts-expect-error: a chat entry is a Message
  void usePublish(topics, 'chat').publishAsync({ kind: 'said', data: todo })
  // The typo is reported on the topic's own line (not the client's), by TypeScript 6 and 7.
  usePublish(
    topics,
    // @ts-expect-error: 'todo' is not a topic of the schema
    'todo',
  )
}
