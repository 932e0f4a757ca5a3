// Type tests, checked by `tsc` (pnpm typecheck): usePublish takes a real client and checks the
// topic against a typed client's schema.
import { type CrudState, type createClient, crud, type PublishResult } from '@sluice/client'
import { expectTypeOf } from 'vitest'
import { usePublish } from './use-publish'

interface Todo {
  id: string
  title: string
}

declare const untyped: ReturnType<typeof createClient>
declare const typed: ReturnType<typeof createClient<{ todos: CrudState<Todo> }>>

export function usePublishes() {
  const { publishAsync, data } = usePublish(untyped, 'anything')
  expectTypeOf(publishAsync({ kind: 'created', key: 't1' })).toEqualTypeOf<Promise<PublishResult>>()
  expectTypeOf(data).toEqualTypeOf<PublishResult | undefined>()
  usePublish(typed, 'todos').publish(
    { kind: 'created', key: 't1', data: { id: 't1', title: 'Ship' } },
    { optimistic: { merge: crud<Todo>() } },
  )
  // @ts-expect-error: not a topic of the schema
  usePublish(typed, 'nope')
}
