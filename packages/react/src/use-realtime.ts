import type {
  SluiceClient,
  SubscribeOptions,
  Subscription,
  SubscriptionState,
  TopicSchema,
} from '@sluice/client'
import { initialSubscriptionState } from '@sluice/client'
import { useMemo, useSyncExternalStore } from 'react'
import type { RealtimeClient, StructuralClient, TopicData } from './realtime-client'
import { useClient } from './sluice-provider'

type AnyClient = RealtimeClient<TopicSchema>

interface Source<TData> {
  subscribe(onChange: () => void): () => void
  getSnapshot(): SubscriptionState<TData>
  getServerSnapshot(): SubscriptionState<TData>
}

// Nothing here runs during render: `client.subscribe` is called from the subscribe callback of
// useSyncExternalStore, which React runs after commit, in the browser only. A render that is
// thrown away (concurrent rendering, StrictMode) therefore never leaks a subscription, and the
// server render never subscribes.
function createSource<TData>(
  client: AnyClient,
  topic: string,
  options: SubscribeOptions<TData>,
): Source<TData> {
  let active: Subscription<TData> | null = null
  let initial: SubscriptionState<TData> | undefined
  const getInitial = () => {
    initial ??= initialSubscriptionState(options)
    return initial
  }
  return {
    subscribe(onChange) {
      const subscription: Subscription<TData> = client.subscribe(topic, options)
      active = subscription
      const stop = subscription.$state.listen(() => onChange())
      // A subscription shared with another component may already hold data.
      onChange()
      return () => {
        stop()
        if (active === subscription) active = null
        subscription.unsubscribe()
      }
    },
    getSnapshot: () => (active ? active.$state.get() : getInitial()),
    getServerSnapshot: getInitial,
  }
}

/**
 * Subscribes to a topic for as long as the component is mounted and returns its state:
 * `data` (shaped by the merge strategy), `status`, `error` and `position`. Events that arrive
 * together re-render once. Components using the same topic, filter and an equal merge strategy share one subscription.
 *
 * The subscription is kept while `client`, `topic` and the JSON of `options.filter` stay
 * equal; the other options (merge, load, onResync...) are read when it starts. On the server,
 * and in the first browser render, it returns `options.initialData` (or the strategy's empty
 * state) with status `'idle'`, so server-rendered data hydrates without a loading flash.
 *
 * @example
 * const todosMerge = crud<Todo>({ key: 'id' })
 * function Todos() {
 *   const { data, status } = useRealtime(client, 'todos', { merge: todosMerge, snapshot: true })
 *   return <List items={data.items} loading={status !== 'live'} />
 * }
 */
export function useRealtime<Schema extends TopicSchema, K extends keyof Schema & string, TData = Schema[K]>(
  client: SluiceClient<Schema>,
  topic: K,
  options: SubscribeOptions<TopicData<Schema, K, TData>>,
): SubscriptionState<TopicData<Schema, K, TData>>
/** The same, with an object shaped like a client (a test double, a wrapper). */
export function useRealtime<TData>(
  client: StructuralClient,
  topic: string,
  options: SubscribeOptions<TData>,
): SubscriptionState<TData>
/** The same, with the client of the nearest {@link SluiceProvider}. */
export function useRealtime<TData>(topic: string, options: SubscribeOptions<TData>): SubscriptionState<TData>
export function useRealtime<TData>(
  ...args: [AnyClient, string, SubscribeOptions<TData>] | [string, SubscribeOptions<TData>]
): SubscriptionState<TData> {
  const withClient = typeof args[0] !== 'string'
  const fromContext = useClient(!withClient)
  const [client, topic, options] = withClient
    ? (args as [AnyClient, string, SubscribeOptions<TData>])
    : [fromContext!, args[0] as string, args[1] as SubscribeOptions<TData>]
  const filterKey = options.filter === undefined ? '' : JSON.stringify(options.filter)
  // biome-ignore lint/correctness/useExhaustiveDependencies: the other options are read once per subscription by design; filterKey stands for options.filter
  const source = useMemo(() => createSource(client, topic, options), [client, topic, filterKey])
  return useSyncExternalStore(source.subscribe, source.getSnapshot, source.getServerSnapshot)
}
