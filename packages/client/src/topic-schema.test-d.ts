// Type tests: checked by `pnpm typecheck` (tsc 6 and 7), never run. Publish payloads typed from
// the topic's schema, and interfaces accepted as data.
import type { Json } from '@sluice/protocol'
import { expectTypeOf } from 'vitest'
import { createClient } from './client'
import { type CrudState, type CrudTopic, crud } from './merge/crud'
import { type CursorTopic, cursor } from './merge/cursor'
import { type LatestTopic, latest } from './merge/latest'
import { type SetTopic, set } from './merge/set'
import type { PublishResult } from './publish'
import type { Topic } from './topic-schema'

interface Todo {
  id: string
  title: string
}
interface Message {
  text: string
}
interface Pointer {
  userId: string
  x: number
  y: number
}
interface Dated {
  id: string
  at: Date
}
declare const todo: Todo

const client = createClient<{
  todos: CrudTopic<Todo>
  patched: CrudTopic<Todo, Partial<Todo>>
  chat: LatestTopic<Message>
  score: SetTopic<{ home: number; away: number }>
  cursors: CursorTopic<Pointer>
  counter: Topic<number, { kind: 'tick' } | { kind: 'reset'; data: number }>
  legacy: CrudState<Todo>
}>({ url: 'http://localhost/realtime' })

// A Topic's store data is its data type; the older data-only entries keep working.
expectTypeOf(client.subscribe('todos', { merge: crud<Todo>() }).$state.get().data).toEqualTypeOf<
  CrudState<Todo>
>()
expectTypeOf(client.subscribe('chat', { merge: latest<Message>() }).$state.get().data).toEqualTypeOf<
  readonly Message[]
>()
expectTypeOf(
  client.subscribe('score', { merge: set<{ home: number; away: number }>() }).$state.get().data,
).toEqualTypeOf<{ home: number; away: number } | null>()
expectTypeOf(
  client.subscribe('cursors', { merge: cursor<Pointer>({ key: 'userId' }) }).$state.get().data,
).toEqualTypeOf<ReadonlyMap<string, Pointer>>()
expectTypeOf(client.subscribe('legacy', { merge: crud<Todo>() }).$state.get().data).toEqualTypeOf<
  CrudState<Todo>
>()
// @ts-expect-error the schema says `chat` holds messages, not a crud list
client.subscribe('chat', { merge: crud<Todo>() })

// crud: created/updated carry the item, deleted names the key; an interface is fine as data.
expectTypeOf(client.publish('todos', { kind: 'created', key: todo.id, data: todo })).toEqualTypeOf<
  Promise<PublishResult>
>()
void client.publish('todos', { kind: 'updated', data: { id: 't1', title: 'Ship it' } })
void client.publish('todos', { kind: 'deleted', key: 't1' })
void client.publish('todos', { kind: 'deleted', key: 't1', meta: { by: 'ann' } })
// @ts-expect-error crud applies created, updated and deleted: other kinds are ignored
void client.publish('todos', { kind: 'set', data: todo })
// @ts-expect-error the data is not a Todo
void client.publish('todos', { kind: 'created', data: { id: 't1' } })
// @ts-expect-error deleted names the key it removes
void client.publish('todos', { kind: 'deleted' })
// With patch, updated carries part of the item.
void client.publish('patched', { kind: 'updated', key: 't1', data: { title: 'Renamed' } })

// latest: any kind, an entry as data.
void client.publish('chat', { kind: 'said', data: { text: 'hi' } })
// @ts-expect-error a latest entry is the topic's data type
void client.publish('chat', { kind: 'said', data: { body: 'hi' } })

// set: set replaces, deleted clears.
void client.publish('score', { kind: 'set', data: { home: 1, away: 0 } })
void client.publish('score', { kind: 'deleted' })
// @ts-expect-error set stores its data: it needs one
void client.publish('score', { kind: 'set' })

// cursor: set kinds carry the value, remove kinds name the key.
void client.publish('cursors', { kind: 'set', key: 'ann', data: { userId: 'ann', x: 1, y: 2 } })
void client.publish('cursors', { kind: 'leave', key: 'ann' })
// @ts-expect-error leave names the key it removes
void client.publish('cursors', { kind: 'leave' })

// A custom Topic: its own event union.
void client.publish('counter', { kind: 'tick' })
void client.publish('counter', { kind: 'reset', data: 0 })
// @ts-expect-error reset carries a number
void client.publish('counter', { kind: 'reset', data: 'zero' })

// A data-only entry takes any JSON-compatible event, interfaces included.
void client.publish('legacy', { kind: 'created', key: todo.id, data: todo })
declare const dated: Dated
// @ts-expect-error a Date does not survive JSON as itself
void client.publish('legacy', { kind: 'created', data: dated })

// The untyped client: any topic, any kind, JSON-compatible data (interfaces too).
const loose = createClient({ url: 'http://localhost/realtime' })
void loose.publish('anything', { kind: 'created', key: todo.id, data: todo })
void loose.publish('anything', { kind: 'tick' })
void loose.publish('anything', { kind: 'created', data: [todo, { id: 't2', title: 'b' }] })
// @ts-expect-error a function does not survive JSON
void loose.publish('anything', { kind: 'created', data: { id: 't1', run: () => 1 } })
// @ts-expect-error a Date does not survive JSON as itself
void loose.publish('anything', { kind: 'created', data: dated })

// Presence state: any JSON-compatible object, an interface too.
interface Typing {
  name: string
  typing: boolean
}
declare const typing: Typing
loose.setPresence('doc:7', typing)
loose.setPresence('doc:7', { name: 'ann' })
loose.setPresence('doc:7', null)
client.setPresence('chat', typing)
// @ts-expect-error a Date does not survive JSON as itself
loose.setPresence('doc:7', { name: 'ann', since: new Date() })

// Snapshot-shaped data (server-rendered, or from a loader) takes interfaces too.
declare const serverTodos: Todo[]
const todosMerge = crud<Todo>()
expectTypeOf(todosMerge.fromSnapshot?.(serverTodos)).toEqualTypeOf<CrudState<Todo> | undefined>()
loose.subscribe('todos', { merge: todosMerge, load: async () => serverTodos })

// A value typed `Json` (forwarded as is) passes the untyped checks whole.
declare const anyJson: Json
void loose.publish('anything', { kind: 'created', data: anyJson })
void client.publish('legacy', { kind: 'created', data: anyJson })
