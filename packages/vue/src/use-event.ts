import type { MergeStrategy, SluiceClient, SubscribeOptions } from '@sluice/client'
import { type MaybeRefOrGetter, toValue, watch } from 'vue'
import { onClient } from './on-client'
import { onScopeStop } from './on-scope-stop'

/** One event of a topic as it reaches the client (`kind`, `key`, `data`, `meta`, position, `ts`). */
export type TopicEvent = Parameters<MergeStrategy<unknown>['apply']>[1][number]

/** The part of a client `useEvent` needs. */
export type EventClient = Pick<SluiceClient, 'subscribe'>

/** Options of {@link useEvent}. */
export interface UseEventOptions {
  /** Only events whose `meta` matches, as `subscribe`'s `filter`. */
  filter?: SubscribeOptions<unknown>['filter']
}

/**
 * Calls `handler` with every event of `topic` that arrives from mount (at once outside a
 * component) until the effect scope stops: toasts, sounds, analytics. No store is kept and no
 * snapshot is asked for; events replayed after a reconnect are delivered too, in order, once
 * each. `topic` and `options` may be refs or getters: it subscribes again when the topic or
 * the JSON of the filter changes.
 *
 * @example
 * useEvent(client, 'orders', (event) => {
 *   if (event.kind === 'created') toast(`New order ${event.key}`)
 * })
 */
export function useEvent(
  client: EventClient,
  topic: MaybeRefOrGetter<string>,
  handler: (event: TopicEvent) => void,
  options: MaybeRefOrGetter<UseEventOptions> = {},
): void {
  // A strategy of its own, without a `key`, so no other subscription shares (or replays into)
  // its store. Its state never changes: apply only hands each event to the handler.
  const deliver: MergeStrategy<null> = {
    initial: () => null,
    apply(state, events) {
      for (const event of events) {
        try {
          handler(event)
        } catch (error) {
          // Logged, not thrown: a failing handler must neither stop the events after it nor
          // break the store's flush.
          console.error(
            `[sluice] useEvent() handler for ${event.topic} threw on a '${event.kind}' event:`,
            error,
          )
        }
      }
      return state
    },
  }
  let stop: (() => void) | null = null

  const start = () => {
    stop?.()
    const { filter } = toValue(options)
    const subscription = client.subscribe(toValue(topic), {
      merge: deliver,
      ...(filter !== undefined && { filter }),
    })
    stop = () => {
      stop = null
      subscription.unsubscribe()
    }
  }

  const key = () => {
    const { filter } = toValue(options)
    return `${toValue(topic)}\n${filter === undefined ? '' : JSON.stringify(filter)}`
  }
  // Not immediate: the first start is onClient's, and a non-immediate watcher is a no-op
  // during server rendering.
  watch(key, () => {
    if (stop) start()
  })
  onClient(start)
  onScopeStop('useEvent', () => stop?.())
}
