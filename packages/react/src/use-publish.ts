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
import { useCallback } from 'react'
import { useClient } from './sluice-provider'
import { type MutationState, useMutation } from './use-mutation'

/** The part of a client `usePublish` needs (`subscribe` for optimistic events). */
export type PublishClient<Schema extends TopicSchema = TopicSchema> = Pick<
  SluiceClient<Schema>,
  'publish' | 'subscribe'
>

/** Options of one publish from {@link usePublish}: `client.publish`'s, plus `optimistic`. */
export interface UsePublishOptions extends PublishOptions {
  /**
   * Show the event at once in the store that `merge` (and `filter`) name on this topic, the
   * one a `useRealtime` with equal options renders; the server's copy replaces it, a failed
   * publish rolls it back. Not with `echo: false`: the store waits for the server's copy.
   */
  optimistic?: { merge: MergeStrategy<unknown>; filter?: SubscribeOptions<unknown>['filter'] }
}

/**
 * What {@link usePublish} returns. The event is typed as `client.publish(topic, event)` types it:
 * the topic's events when the client's schema declares them (`CrudTopic<Todo>`), else any event
 * with JSON-compatible data.
 */
export interface UsePublishResult<
  Schema extends TopicSchema = TopicSchema,
  K extends keyof Schema & string = string,
> extends MutationState<PublishResult> {
  /** Publishes; the outcome is in `isPending`, `error` and `data` (nothing to catch). */
  publish<TData = Json>(event: TopicEvent<Schema, K, JsonInput<TData>>, options?: UsePublishOptions): void
  /** Publishes and resolves with the ack, or rejects with the `ClientError` (also set as `error`). */
  publishAsync<TData = Json>(
    event: TopicEvent<Schema, K, JsonInput<TData>>,
    options?: UsePublishOptions,
  ): Promise<PublishResult>
  /** Back to idle (no pending, no error, no data). */
  reset(): void
}

// The optimistic event and the publish must carry the same id: the store matches the server's
// copy by it. Random enough for the server's dedup window, in any browser context.
function publishId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return `p-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`
}

/**
 * Publishes to `topic` with mutation state, like TanStack Query's `useMutation`.
 *
 * @example
 * const { publish, isPending, error } = usePublish(client, 'todos')
 * publish({ kind: 'created', key: id, data: { id, title } }, { optimistic: { merge: todosMerge } })
 */
// The schema is read from the client's type alone (not inferred from the topic too), so a topic
// the schema lacks is reported at the topic argument, naming it, by TypeScript 6 and 7 alike.
export function usePublish<Client extends PublishClient, K extends TopicName<Client>>(
  client: Client,
  topic: K,
): UsePublishResult<SchemaOf<Client>, string extends TopicName<Client> ? string : K>
/** The same, with the client of the nearest {@link SluiceProvider}. */
export function usePublish(topic: string): UsePublishResult
export function usePublish(...args: [PublishClient, string] | [string]): UsePublishResult {
  const withClient = args.length === 2
  const fromContext = useClient(!withClient)
  const [client, topic] = withClient ? args : [fromContext!, args[0]]
  const perform = useCallback(
    async (typed: PublishEvent<unknown>, options: UsePublishOptions = {}): Promise<PublishResult> => {
      // The signatures above checked the event against the topic's schema, or its data as JSON.
      const event = typed as PublishEvent
      const { optimistic, ...publishOptions } = options
      if (optimistic === undefined) return client.publish(topic, event, publishOptions)
      const id = publishOptions.id ?? publishId()
      // Joins the store a mounted useRealtime with the same options holds (same topic, filter
      // and strategy key); the optimistic event lives in that store, not in this handle.
      const subscription = client.subscribe(topic, {
        merge: optimistic.merge,
        ...(optimistic.filter !== undefined && { filter: optimistic.filter }),
      })
      const rollback = subscription.optimistic({ ...event, publishId: id })
      try {
        return await client.publish(topic, event, { ...publishOptions, id })
      } catch (error) {
        rollback()
        throw error
      } finally {
        subscription.unsubscribe()
      }
    },
    [client, topic],
  )
  const { runAsync, run, ...state } = useMutation(perform)
  return { ...state, publish: run, publishAsync: runAsync }
}
