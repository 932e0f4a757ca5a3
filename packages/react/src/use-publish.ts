import type {
  MergeStrategy,
  PublishEvent,
  PublishOptions,
  PublishResult,
  SluiceClient,
  SubscribeOptions,
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

/** What {@link usePublish} returns. */
export interface UsePublishResult extends MutationState<PublishResult> {
  /** Publishes; the outcome is in `isPending`, `error` and `data` (nothing to catch). */
  publish(event: PublishEvent, options?: UsePublishOptions): void
  /** Publishes and resolves with the ack, or rejects with the `ClientError` (also set as `error`). */
  publishAsync(event: PublishEvent, options?: UsePublishOptions): Promise<PublishResult>
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
export function usePublish<Schema extends TopicSchema>(
  client: PublishClient<Schema>,
  topic: keyof Schema & string,
): UsePublishResult
/** The same, with the client of the nearest {@link SluiceProvider}. */
export function usePublish(topic: string): UsePublishResult
export function usePublish(...args: [PublishClient, string] | [string]): UsePublishResult {
  const withClient = args.length === 2
  const fromContext = useClient(!withClient)
  const [client, topic] = withClient ? args : [fromContext!, args[0]]
  const perform = useCallback(
    async (event: PublishEvent, options: UsePublishOptions = {}): Promise<PublishResult> => {
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
