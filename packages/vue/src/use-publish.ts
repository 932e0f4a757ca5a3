import type { PublishEvent, PublishOptions, PublishResult, SluiceClient, TopicSchema } from '@sluice/client'
import { type MaybeRefOrGetter, toValue } from 'vue'
import { type MutationState, mutationState } from './mutation-state'

/** The part of a client `usePublish` needs. */
export type PublishClient<Schema extends TopicSchema = TopicSchema> = Pick<SluiceClient<Schema>, 'publish'>

/** What {@link usePublish} returns. */
export interface UsePublish extends MutationState<PublishResult> {
  /**
   * Publishes `event` to the topic; resolves with where it landed once the server acknowledged
   * it, or with undefined when it failed (the reason is in `error`). Never rejects.
   */
  publish(event: PublishEvent, options?: PublishOptions): Promise<PublishResult | undefined>
}

/**
 * Publishes to `topic` (a ref or getter is read at each publish) with mutation state:
 * `isPending`, `error`, `data` (the last {@link PublishResult}) and `reset()`. It holds no
 * subscription, so it may be called anywhere, in or out of a component.
 *
 * @example
 * const { publish, isPending, error } = usePublish(client, 'todos')
 * // <button :disabled="isPending" @click="publish({ kind: 'created', key: id, data: { id, title } })">Add</button>
 */
export function usePublish<Schema extends TopicSchema>(
  client: PublishClient<Schema>,
  topic: MaybeRefOrGetter<keyof Schema & string>,
): UsePublish {
  const { mutate, ...state } = mutationState((event: PublishEvent, options?: PublishOptions) =>
    client.publish(toValue(topic), event, options),
  )
  return { ...state, publish: mutate }
}
