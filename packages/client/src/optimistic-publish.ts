// A publish shown at once in a subscription's store, before the server confirms it: what the
// bindings' usePublish does with `{ optimistic }`, framework-free. The bindings add only the
// mutation state (pending, error, data) in their framework's reactivity.
import type { SluiceClient, TopicSchema } from './client'
import type { PublishEvent, PublishOptions, PublishResult } from './publish'
import type { MergeStrategy } from './store/types'
import type { SubscribeOptions } from './subscriptions'

/** The part of a client {@link optimisticPublish} needs (`subscribe` for optimistic events). */
export type OptimisticPublishClient<Schema extends TopicSchema = TopicSchema> = Pick<
  SluiceClient<Schema>,
  'publish' | 'subscribe'
>

/** Options of {@link optimisticPublish}: `client.publish`'s, plus `optimistic`. */
export interface OptimisticPublishOptions extends PublishOptions {
  /**
   * Show the event at once in the store that `merge` (and `filter`) name on this topic, the
   * one a `useRealtime` with equal options holds; the server's copy (same publish id) replaces
   * it, a failed publish rolls it back. Not with `echo: false`: the store waits for the
   * server's copy.
   */
  optimistic?: { merge: MergeStrategy<unknown>; filter?: SubscribeOptions<unknown>['filter'] }
}

/**
 * A fresh publish id, `p-` and 24 hex digits. The optimistic event and the publish must carry
 * the same id, since the store matches the server's copy by it; 96 random bits are enough for
 * the server's dedup window, and `crypto.getRandomValues` exists in every browser context
 * (`randomUUID` needs a secure one).
 *
 * @example
 * client.publish('todos', event, { id: publishId() })
 * @returns an id for `PublishOptions.id`
 */
export function publishId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return `p-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`
}

/**
 * `client.publish(topic, event, options)`, and with `options.optimistic` the event shows at
 * once in the store of that topic, merge strategy and filter (the one a `useRealtime` with the
 * same options holds) until the server's copy replaces it, or the publish fails and it is
 * rolled back. The store is joined for the length of the publish only: the optimistic event
 * lives in the store, not in this call.
 *
 * @example
 * await optimisticPublish(client, 'todos', { kind: 'created', key: id, data: { id, title } }, {
 *   optimistic: { merge: crud<Todo>() },
 * })
 * @param client - a client, or anything with its `publish` and `subscribe`
 * @param topic - the topic to publish to
 * @param event - the event, already checked by the caller's types (sent as JSON)
 * @param options - `client.publish`'s options, plus `optimistic`; without it, passed on as given
 * @returns the ack, as `client.publish` resolves it; rejects with its `ClientError` after the rollback
 */
export async function optimisticPublish(
  client: OptimisticPublishClient,
  topic: string,
  event: PublishEvent,
  options?: OptimisticPublishOptions,
): Promise<PublishResult> {
  const { optimistic, ...publishOptions } = options ?? {}
  if (optimistic === undefined) return client.publish(topic, event, options)
  const id = publishOptions.id ?? publishId()
  // Same topic, filter and strategy key as a mounted useRealtime: the same store.
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
}
