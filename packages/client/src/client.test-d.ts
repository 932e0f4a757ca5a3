// Type tests: checked by `pnpm typecheck` (tsc), never run.
import type { Json } from '@sluice/protocol'
import { expectTypeOf } from 'vitest'
import { createClient } from './client'
import { type CrudState, crud } from './merge/crud'
import { latest } from './merge/latest'
import type { SubscriptionState } from './store/types'

type Todo = { id: string; title: string }
type Message = { text: string }

// Untyped client: any topic, data inferred from the merge strategy.
const loose = createClient({ url: 'http://localhost/realtime' })
const todos = loose.subscribe('todos', { merge: crud<Todo>() })
expectTypeOf(todos.$state.get()).toEqualTypeOf<SubscriptionState<CrudState<Todo>>>()
const feed = loose.subscribe('anything', { merge: latest<Message>({ size: 10 }) })
expectTypeOf(feed.$state.get().data).toEqualTypeOf<readonly Message[]>()

// Typed client: topics are checked and each topic's data type is fixed by the schema.
const typed = createClient<{ todos: CrudState<Todo>; chat: readonly Message[] }>({
  url: 'http://localhost/realtime',
})
expectTypeOf(typed.subscribe('todos', { merge: crud<Todo>() }).$state.get().data).toEqualTypeOf<
  CrudState<Todo>
>()
expectTypeOf(typed.subscribe('chat', { merge: latest<Message>() }).$state.get().data).toEqualTypeOf<
  readonly Message[]
>()
// @ts-expect-error a topic the schema does not name
typed.subscribe('nope', { merge: crud<Todo>() })
// @ts-expect-error a merge strategy of another data type than the schema's
typed.subscribe('todos', { merge: latest<Message>() })
// @ts-expect-error publish to a topic the schema does not name
void typed.publish('nope', { kind: 'created' })

expectTypeOf(typed.call('anything')).toEqualTypeOf<Promise<unknown>>()
expectTypeOf(typed.publish('todos', { kind: 'created' })).resolves.toEqualTypeOf<{
  epoch: string
  seq: number
  duplicate: boolean
}>()

// Signals: the data is JSON or absent unless the handler names its type; the result unsubscribes.
loose.onSignal('invoice.ready', (data) => expectTypeOf(data).toEqualTypeOf<Json | undefined>())
loose.onSignal<{ invoiceId: string }>('invoice.ready', (data) => expectTypeOf(data.invoiceId).toBeString())
expectTypeOf(loose.onSignal('n', () => {})).toEqualTypeOf<() => void>()
