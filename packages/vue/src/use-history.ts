import type {
  HistoryState,
  SchemaOf,
  SubscribeOptions,
  Subscription,
  TopicName,
  TopicSchema,
} from '@sluice/client'
import { type MaybeRefOrGetter, type Ref, type ShallowRef, shallowRef, toValue, watch } from 'vue'
import { onClient } from './on-client'
import { onScopeStop } from './on-scope-stop'
import type { RealtimeClient, TopicData } from './realtime-client'
import { useClient } from './sluice-plugin'

type AnyClient = Pick<RealtimeClient<TopicSchema>, 'subscribe'>
// The page's end reason, null while more may follow (the protocol's HistoryEnd; @sluice/client
// exports only the state that holds it).
type PageEnd = HistoryState['end']

/**
 * Options of {@link useHistory}: those of `useRealtime`, so one object can serve both
 * (`client.subscribe`'s, plus `enabled`, a boolean, ref or getter).
 */
export interface UseHistoryOptions<TData> extends SubscribeOptions<TData> {
  /** Subscribe only while true, as `useRealtime`'s `enabled`: while false there is nothing to page. @default true */
  enabled?: MaybeRefOrGetter<boolean>
}

/** What {@link useHistory} returns: TanStack Query's `fetchNextPage` family, for older events. */
export interface UseHistory {
  /**
   * Loads the page of the topic's log before the oldest event the store holds (at most `limit`
   * log positions, 1 to 100, default 50) and merges it under the store's data. Resolves with
   * the page's end (null while more may follow) or undefined when it failed (the reason is in
   * `error`); never rejects, so `@click="loadMore()"` leaves no unhandled rejection. While a
   * page loads, a second call shares it.
   */
  loadMore(limit?: number): Promise<PageEnd | undefined>
  /** Older events may be loaded. False before the subscription starts and for stores that cannot page. */
  readonly hasMore: Readonly<Ref<boolean>>
  /** A page is on its way. */
  readonly isLoadingMore: Readonly<Ref<boolean>>
  /** Why nothing older comes (`log_start`, `too_old`, `epoch_changed`, `ahead`), once a page said so. */
  readonly end: Readonly<Ref<PageEnd>>
  /** Why this composable's latest `loadMore` failed (a `ClientError`, `FORBIDDEN` where subscribing is); null otherwise. */
  readonly error: Readonly<ShallowRef<Error | null>>
}

/**
 * Pages a topic's older events into the store a {@link useRealtime} with the same options holds,
 * like TanStack Query's `useInfiniteQuery`: `loadMore()`, `hasMore`, `isLoadingMore`, `end` and
 * `error`. Pass the same `topic` and `options` (the same merge strategy object, the same filter)
 * as that `useRealtime`: the two share one store, and `enabled: false` turns both off. Only a store built from events can page (a
 * `crud()` or `latest()` strategy, without `snapshot` or `load`, which already hold the past).
 *
 * `topic` and `options` may be refs or getters, as for `useRealtime`: the subscription moves
 * when the topic, `options.enabled` or the JSON of `options.filter` changes. It starts after mount in a component,
 * so server rendering never subscribes, and stops with the scope.
 *
 * @example
 * const options = { merge: latest<Message>({ size: 500 }), rewind: 20 }
 * const chat = useRealtime(client, 'chat', options)
 * const { loadMore, hasMore, isLoadingMore } = useHistory(client, 'chat', options)
 * // <button :disabled="!hasMore || isLoadingMore" @click="loadMore()">Older</button>
 * @returns the paging state and `loadMore`; the events themselves arrive in `useRealtime`'s `data`
 */
// One signature for every client (a real one, typed or not, or a test double): its schema is read
// from the client's type alone, so a topic the schema lacks is reported at the topic, naming it,
// by TypeScript 6 and 7 alike (with two overloads, 7 blamed the client argument).
export function useHistory<
  TData,
  Client extends RealtimeClient = RealtimeClient,
  K extends TopicName<Client> = TopicName<Client>,
>(
  client: Client,
  topic: MaybeRefOrGetter<K>,
  options: MaybeRefOrGetter<UseHistoryOptions<TopicData<SchemaOf<Client>, K, TData>>>,
): UseHistory
/** The same, with the provided client (see {@link sluicePlugin}). */
export function useHistory<TData>(
  topic: MaybeRefOrGetter<string>,
  options: MaybeRefOrGetter<UseHistoryOptions<TData>>,
): UseHistory
export function useHistory<TData>(
  ...args:
    | [AnyClient, MaybeRefOrGetter<string>, MaybeRefOrGetter<UseHistoryOptions<TData>>]
    | [MaybeRefOrGetter<string>, MaybeRefOrGetter<UseHistoryOptions<TData>>]
): UseHistory {
  const [client, topic, options] =
    args.length === 3
      ? args
      : ([useClient(), args[0], args[1]] as [
          AnyClient,
          MaybeRefOrGetter<string>,
          MaybeRefOrGetter<UseHistoryOptions<TData>>,
        ])
  const hasMore = shallowRef(false)
  const isLoadingMore = shallowRef(false)
  const end = shallowRef<PageEnd>(null)
  const error = shallowRef<Error | null>(null)
  let current: { subscription: Subscription<TData>; stop: () => void } | null = null
  // Set once onClient ran: from then on a change of the key starts (or, disabled, stops) again.
  let mounted = false

  const start = () => {
    current?.stop()
    error.value = null
    if (toValue(toValue(options).enabled) === false) {
      hasMore.value = false
      isLoadingMore.value = false
      end.value = null
      return
    }
    // Same topic, filter and strategy as a useRealtime: the client hands back that store, whose
    // `$history` and `loadMore` are shared by all its subscriptions.
    const subscription = client.subscribe(toValue(topic), toValue(options)) as Subscription<TData>
    const sync = () => {
      const state = subscription.$history.get()
      hasMore.value = state.hasMore
      isLoadingMore.value = state.loading
      end.value = state.end
    }
    sync()
    const unlisten = subscription.$history.listen(sync)
    current = {
      subscription,
      stop: () => {
        current = null
        unlisten()
        subscription.unsubscribe()
      },
    }
  }

  async function loadMore(limit?: number): Promise<PageEnd | undefined> {
    // Not started (server rendering, before mount) or stopped: there is nothing to page from.
    if (!current) return end.value
    const { subscription } = current
    error.value = null
    try {
      return await subscription.loadMore(limit)
    } catch (reason) {
      // A page of a topic left since is not this one's failure.
      if (current?.subscription === subscription) {
        error.value = reason instanceof Error ? reason : new Error(String(reason))
      }
      return undefined
    }
  }

  const key = () => {
    const { filter, enabled } = toValue(options)
    const on = toValue(enabled) !== false
    return `${toValue(topic)}\n${filter === undefined ? '' : JSON.stringify(filter)}\n${on}`
  }
  // Not immediate: the first start is onClient's, and a non-immediate watcher is a no-op
  // during server rendering.
  watch(key, () => {
    if (mounted) start()
  })
  onClient(() => {
    mounted = true
    start()
  })
  onScopeStop('useHistory', () => {
    mounted = false
    current?.stop()
  })
  return { loadMore, hasMore, isLoadingMore, end, error }
}
