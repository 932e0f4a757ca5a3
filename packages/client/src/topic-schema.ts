import type { Json, JsonCompatible } from '@sluice/protocol'
import type { SluiceClient } from './client'
import type { PublishEvent } from './publish'

/**
 * The topic → type map of a typed client. Each entry is either a {@link Topic} (the store's
 * data and the events a client publishes, e.g. `CrudTopic<Todo>`) or, the older form, the
 * store's data type alone (`CrudState<Todo>`), whose publishes take any JSON event. With the
 * default (`Record<string, any>`) every topic is allowed and the data type comes from the
 * merge strategy.
 *
 * @example
 * type AppTopics = {
 *   todos: CrudTopic<Todo> // publish({ kind: 'created' | 'updated' | 'deleted', ... })
 *   chat: LatestTopic<Message>
 *   score: CrudState<Score> // data only: publishes are not checked beyond JSON
 * }
 */
// biome-ignore lint/suspicious/noExplicitAny: the untyped default must accept any data
export type TopicSchema = Record<string, any>

/**
 * A topic's types: the data its store holds and the events clients publish to it. The merge
 * strategies name theirs (`CrudTopic`, `LatestTopic`, `SetTopic`, `CursorTopic`); write
 * `Topic<Data, Event>` for a custom strategy. It is a type only: no value has it.
 *
 * @example
 * type Counter = Topic<number, { kind: 'tick' } | { kind: 'reset'; data: number }>
 */
export interface Topic<TData, TEvent extends PublishEvent<unknown> = PublishEvent<unknown>> {
  /** Carries the types; never present at runtime. */
  readonly '~topic': { readonly data: TData; readonly event: TEvent }
}

// `any` (the untyped schema's entry) would match `Topic` and yield `unknown`: it is checked first.
type IsAny<T> = 0 extends 1 & T ? true : false

/** The store data type of a schema entry: a {@link Topic}'s data, or the entry itself. */
export type TopicDataOf<Entry> =
  IsAny<Entry> extends true ? Entry : Entry extends Topic<infer TData, PublishEvent<unknown>> ? TData : Entry

/**
 * The data type of `topic`'s store: from the client's schema when it has one, else from the
 * merge strategy (`TData`). The bindings type their hooks with it too.
 */
export type TopicData<Schema extends TopicSchema, K extends string, TData> = string extends keyof Schema
  ? TData
  : TopicDataOf<Schema[K]>

/**
 * The event `client.publish(topic, event)` takes: the {@link Topic}'s event type when the
 * schema declares one, else any event whose data passes {@link JsonCompatible} (`TData` is
 * inferred from the event's data).
 */
export type TopicEvent<Schema extends TopicSchema, K extends keyof Schema, TData = Json> =
  IsAny<Schema[K]> extends true
    ? PublishEvent<TData>
    : Schema[K] extends Topic<unknown, infer TEvent>
      ? TEvent
      : PublishEvent<TData>

/** Accepts `T` when it is JSON as itself (see {@link JsonCompatible}); the bound of publish data. */
export type JsonData<T> = T extends JsonCompatible<T> ? T : JsonCompatible<T>

/**
 * The topic schema of a client type: `Schema` of a `SluiceClient<Schema>`, else (a test double,
 * a wrapper) the untyped schema. The bindings infer it from the client argument alone, so a
 * topic the schema lacks is reported at the topic.
 */
export type SchemaOf<Client> = Client extends SluiceClient<infer Schema, infer _> ? Schema : TopicSchema

/** The topic names a client type accepts (`string` for an untyped client). */
export type TopicName<Client> = keyof SchemaOf<Client> & string
