// Type tests, checked by `tsc` (pnpm typecheck): the state's data type comes from the merge
// strategy, the result is awaitable to the same shape, and the seed fetcher must return a seed.
import { type CrudState, crud, latest } from '@sluice/client'
import type { RealtimeResult } from '@sluice/vue'
import { expectTypeOf } from 'vitest'
import type { Ref } from 'vue'
import type { TopicSeed } from './seeded-realtime'
import { type AsyncRealtime, useAsyncRealtime } from './use-async-realtime'

interface Todo {
  id: string
  title: string
}

declare const fetchSeed: () => Promise<TopicSeed>

export async function stateFromTheStrategy() {
  const todos = useAsyncRealtime('todos', fetchSeed, { merge: crud<Todo>() })
  expectTypeOf(todos.state).toEqualTypeOf<Readonly<Ref<RealtimeResult<CrudState<Todo>>>>>()
  expectTypeOf(todos.state.value.data.items).toEqualTypeOf<readonly Todo[]>()
  expectTypeOf(await todos).toEqualTypeOf<AsyncRealtime<CrudState<Todo>>>()
  const { state: price } = await useAsyncRealtime('price', fetchSeed, { merge: latest<number>(), key: 'p' })
  expectTypeOf(price.value.data).toEqualTypeOf<readonly number[]>()
}

export function seedShape() {
  // @ts-expect-error the fetcher resolves with a seed ({ snapshot, position }), not the items
  useAsyncRealtime('todos', async () => [{ id: 'a', title: 'A' }], { merge: crud<Todo>() })
  // @ts-expect-error options need a merge strategy
  useAsyncRealtime('todos', fetchSeed, { snapshot: true })
}
