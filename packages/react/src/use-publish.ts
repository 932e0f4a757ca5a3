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
import { useCallback } from 'react'
import { useClient } from './sluice-provider'
import { type MutationState, useMutation } from './use-mutation'

// The client part and the options are those of the framework-free optimistic publish.
export type { PublishClient, UsePublishOptions }

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
    // The signatures above checked the event against the topic's schema, or its data as JSON.
    (event: PublishEvent<unknown>, options: UsePublishOptions = {}): Promise<PublishResult> =>
      optimisticPublish(client, topic, event as PublishEvent, options),
    [client, topic],
  )
  const { runAsync, run, ...state } = useMutation(perform)
  return { ...state, publish: run, publishAsync: runAsync }
}
