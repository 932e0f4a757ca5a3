// Type tests, checked by `tsc` 6 and 7 (pnpm typecheck): useClient() is the whole client, as in React.
import type { CrudState, PublishResult, SluiceClient } from '@sluice/client'
import { expectTypeOf } from 'vitest'
import { useClient } from './sluice-plugin'

interface Todo {
  id: string
  title: string
}

export function useWholeClient() {
  const client = useClient()
  expectTypeOf(client).toEqualTypeOf<SluiceClient>()
  expectTypeOf(client.publish('todos', { kind: 'created', key: 't1' })).toEqualTypeOf<
    Promise<PublishResult>
  >()
  expectTypeOf(client.call('todos.stats')).toEqualTypeOf<Promise<unknown>>()
}

export function useTypedClient() {
  const client = useClient<{ todos: CrudState<Todo> }>()
  client.setPresence('todos', { typing: true })
  // @ts-expect-error: not a topic of the schema
  client.publish('nope', { kind: 'created' })
}

export function useClientWithProcedures() {
  const client = useClient<
    { todos: CrudState<Todo> },
    { 'todos.count': (args: { owner: string }) => number }
  >()
  expectTypeOf(client.call('todos.count', { owner: 'ann' })).toEqualTypeOf<Promise<number>>()
  // @ts-expect-error: not a procedure of the schema
  void client.call('todos.size', { owner: 'ann' })
}
