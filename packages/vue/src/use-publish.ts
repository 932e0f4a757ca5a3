import type {
  Json,
  JsonInput,
  MergeStrategy,
  PublishEvent,
  PublishOptions,
  PublishResult,
  SchemaOf,
  SluiceClient,
  SubscribeOptions,
  TopicEvent,
  TopicName,
  TopicSchema,
} from '@sluice/client'
import { type MaybeRefOrGetter, toValue } from 'vue'
import { type MutationState, mutationState } from './mutation-state'

/** The part of a client `usePublish` needs (`subscribe` for optimistic events). */
export type PublishClient<Schema extends TopicSchema = TopicSchema> = Pick<
  SluiceClient<Schema>,
  'publish' | 'subscribe'
>

/** Options of one publish from {@link usePublish}: `client.publish`'s, plus `optimistic`. */
export interface UsePublishOptions extends PublishOptions {
  /**
   * Show the event at once in the store that `merge` (and `filter`) name on this topic, the
   * one a `useRealtime` with equal options holds; the server's copy (same publish id) replaces
   * it, a failed publish rolls it back. Not with `echo: false`: the store waits for the
   * server's copy.
   */
  optimistic?: { merge: MergeStrategy<unknown>; filter?: SubscribeOptions<unknown>['filter'] }
}

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

// The optimistic event and the publish must carry the same id: the store matches the server's
// copy by it. Random enough for the server's dedup window, in any browser context.
function publishId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return `p-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`
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
  const perform = async (
    typed: PublishEvent<unknown>,
    options?: UsePublishOptions,
  ): Promise<PublishResult> => {
    const event = typed as PublishEvent
    const { optimistic, ...publishOptions } = options ?? {}
    const name = toValue(topic)
    if (optimistic === undefined) return client.publish(name, event, options)
    const id = publishOptions.id ?? publishId()
    // Joins the store a running useRealtime with the same options holds (same topic, filter
    // and strategy key); the optimistic event lives in that store, not in this handle.
    const subscription = client.subscribe(name, {
      merge: optimistic.merge,
      ...(optimistic.filter !== undefined && { filter: optimistic.filter }),
    })
    const rollback = subscription.optimistic({ ...event, publishId: id })
    try {
      return await client.publish(name, event, { ...publishOptions, id })
    } catch (error) {
      rollback()
      throw error
    } finally {
      subscription.unsubscribe()
    }
  }
  const { mutate, ...state } = mutationState(perform)
  return { ...state, publish: mutate }
}
