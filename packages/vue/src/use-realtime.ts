import type { SluiceClient, SubscribeOptions, SubscriptionState, TopicSchema } from '@sluice/client'
import { initialSubscriptionState } from '@sluice/client'
import { type MaybeRefOrGetter, type ShallowRef, shallowRef, toValue, watch } from 'vue'
import { onClient } from './on-client'
import { onScopeStop } from './on-scope-stop'
import type { RealtimeClient, StructuralClient, TopicData } from './realtime-client'
import { useClient } from './sluice-plugin'

type AnyClient = RealtimeClient<TopicSchema>

/**
 * Subscribes to a topic for the life of the current component (or effect scope) and returns
 * its state as a read-only shallow ref: `data` (shaped by the merge strategy), `status`,
 * `error` and `position`. Events that arrive together trigger one update. Components using
 * the same topic, filter and an equal merge strategy share one subscription.
 *
 * `topic` and `options` may be refs or getters: the subscription moves when the topic or the
 * JSON of `options.filter` changes; the other options are read when it starts. In a component
 * it starts after mount, so server rendering returns `options.initialData` (or the strategy's
 * empty state) with status `'idle'` and never subscribes.
 *
 * @example
 * const todos = useRealtime(client, 'todos', { merge: crud<Todo>(), snapshot: true })
 * // <li v-for="todo in todos.data.items" :key="todo.id">{{ todo.title }}</li>
 */
export function useRealtime<Schema extends TopicSchema, K extends keyof Schema & string, TData = Schema[K]>(
  client: SluiceClient<Schema>,
  topic: MaybeRefOrGetter<K>,
  options: MaybeRefOrGetter<SubscribeOptions<TopicData<Schema, K, TData>>>,
): Readonly<ShallowRef<SubscriptionState<TopicData<Schema, K, TData>>>>
/** The same, with an object shaped like a client (a test double, a wrapper). */
export function useRealtime<TData>(
  client: StructuralClient,
  topic: MaybeRefOrGetter<string>,
  options: MaybeRefOrGetter<SubscribeOptions<TData>>,
): Readonly<ShallowRef<SubscriptionState<TData>>>
/** The same, with the provided client (see {@link sluicePlugin}). */
export function useRealtime<TData>(
  topic: MaybeRefOrGetter<string>,
  options: MaybeRefOrGetter<SubscribeOptions<TData>>,
): Readonly<ShallowRef<SubscriptionState<TData>>>
export function useRealtime<TData>(
  ...args:
    | [AnyClient, MaybeRefOrGetter<string>, MaybeRefOrGetter<SubscribeOptions<TData>>]
    | [MaybeRefOrGetter<string>, MaybeRefOrGetter<SubscribeOptions<TData>>]
): Readonly<ShallowRef<SubscriptionState<TData>>> {
  const [client, topic, options] =
    args.length === 3
      ? args
      : ([useClient(), args[0], args[1]] as [
          AnyClient,
          MaybeRefOrGetter<string>,
          MaybeRefOrGetter<SubscribeOptions<TData>>,
        ])
  const state = shallowRef(initialSubscriptionState(toValue(options)))
  let stop: (() => void) | null = null

  const start = () => {
    stop?.()
    const subscription = client.subscribe(toValue(topic), toValue(options))
    const sync = () => {
      state.value = subscription.$state.get()
    }
    sync()
    const unlisten = subscription.$state.listen(sync)
    stop = () => {
      stop = null
      unlisten()
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
  onScopeStop('useRealtime', () => stop?.())
  return state
}
