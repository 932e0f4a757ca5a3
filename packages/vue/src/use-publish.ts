import {
  type Json,
  type JsonInput,
  optimisticPublish,
  type OptimisticPublishClient as PublishClient,
  type PublishEvent,
  type PublishResult,
  type SchemaOf,
  type TopicEvent,
  type TopicName,
  type TopicSchema,
  type OptimisticPublishOptions as UsePublishOptions,
} from '@sluice/client'
import { type MaybeRefOrGetter, toValue } from 'vue'
import { type MutationState, mutationState } from './mutation-state'

// The client part and the options are those of the framework-free optimistic publish.
export type { PublishClient, UsePublishOptions }

/**
 * What {@link usePublish} returns. The event is typed as `client.publish(topic, event)` types it:
 * the topic's events when the client's schema declares them (`CrudTopic<Todo>`), else any event
 * with JSON-compatible data.
 */
export interface UsePublish<
  Schema extends TopicSchema = TopicSchema,
  K extends keyof Schema & string = string,
> extends MutationState<PublishResult> {
  /**
   * Publishes `event` to the topic; resolves with where it landed once the server acknowledged
   * it, or with undefined when it failed (the reason is in `error`). Never rejects.
   */
  publish<TData = Json>(
    event: TopicEvent<Schema, K, JsonInput<TData>>,
    options?: UsePublishOptions,
  ): Promise<PublishResult | undefined>
}

/**
 * Publishes to `topic` (a ref or getter is read at each publish) with mutation state:
 * `isPending`, `error`, `data` (the last {@link PublishResult}) and `reset()`. It holds no
 * subscription, so it may be called anywhere, in or out of a component. With `optimistic`, the
 * event shows at once in the store a `useRealtime` with the same merge strategy (and filter)
 * holds, until the server's copy replaces it or a refusal rolls it back.
 *
 * @example
 * const { publish, isPending, error } = usePublish(client, 'todos')
 * // <button :disabled="isPending" @click="publish({ kind: 'created', key: id, data: { id, title } })">Add</button>
 * publish({ kind: 'created', key: id, data: { id, title } }, { optimistic: { merge: todosMerge } })
 */
// The schema is read from the client's type alone (not inferred from the topic too), so a topic
// the schema lacks is reported at the topic argument, naming it, by TypeScript 6 and 7 alike.
export function usePublish<Client extends PublishClient, K extends TopicName<Client>>(
  client: Client,
  topic: MaybeRefOrGetter<K>,
): UsePublish<SchemaOf<Client>, string extends TopicName<Client> ? string : K>
// The schema checks the topic and the event at the call; the body publishes them as JSON.
export function usePublish(client: PublishClient, topic: MaybeRefOrGetter<string>): UsePublish {
  // Async, so that a topic getter that throws rejects the publish like any other failure.
  const perform = async (event: PublishEvent<unknown>, options?: UsePublishOptions): Promise<PublishResult> =>
    optimisticPublish(client, toValue(topic), event as PublishEvent, options)
  const { mutate, ...state } = mutationState(perform)
  return { ...state, publish: mutate }
}
