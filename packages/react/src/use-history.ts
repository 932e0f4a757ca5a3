import type {
  ClientError,
  HistoryState,
  SchemaOf,
  Subscription,
  TopicName,
  TopicSchema,
} from '@sluice/client'
import { useCallback, useMemo, useState, useSyncExternalStore } from 'react'
import type { RealtimeClient, TopicData } from './realtime-client'
import type { UseRealtimeOptions } from './realtime-result'
import { useClient } from './sluice-provider'

type AnyClient = Pick<RealtimeClient<TopicSchema>, 'subscribe'>
// The page's end reason, null while more may follow (the protocol's HistoryEnd; @sluice/client
// exports only the state that holds it).
type PageEnd = HistoryState['end']

/** What {@link useHistory} returns: TanStack Query's `fetchNextPage` family, for older events. */
export interface UseHistoryResult {
  /**
   * Loads the page of the topic's log before the oldest event the store holds (at most `limit`
   * log positions, 1 to 100, default 50) and merges it under the store's data. Resolves with
   * the page's end (null while more may follow) or undefined when it failed (the reason is in
   * `error`); never rejects. While a page loads, a second call shares it.
   */
  loadMore(limit?: number): Promise<PageEnd | undefined>
  /** Older events may be loaded. False before the subscription starts and for stores that cannot page. */
  hasMore: boolean
  /** A page is on its way. */
  isLoadingMore: boolean
  /** Why nothing older comes (`log_start`, `too_old`, `epoch_changed`, `ahead`), once a page said so. */
  end: PageEnd
  /** Why this hook's latest `loadMore` failed (`FORBIDDEN` where subscribing is); null otherwise. */
  error: ClientError | null
}

const NONE: HistoryState = { hasMore: false, loading: false, end: null }

interface HistorySource {
  subscribe(onChange: () => void): () => void
  getSnapshot(): HistoryState
  loadMore(limit?: number): Promise<PageEnd>
}

// As useRealtime's source: the subscription starts in useSyncExternalStore's subscribe callback
// (after commit, browser only), so a discarded render or the server render never subscribes.
function createHistorySource<TData>(
  client: AnyClient,
  topic: string,
  options: UseRealtimeOptions<TData>,
): HistorySource {
  let active: Subscription<TData> | null = null
  return {
    subscribe(onChange) {
      // Disabled as the useRealtime given the same options is: nothing subscribed, nothing to page.
      if (options.enabled === false) return () => {}
      // Same topic, filter and strategy as a useRealtime: the client hands back that store, whose
      // `$history` and `loadMore` are shared by all its subscriptions.
      const subscription: Subscription<TData> = client.subscribe(topic, options)
      active = subscription
      const stop = subscription.$history.listen(() => onChange())
      onChange()
      return () => {
        stop()
        if (active === subscription) active = null
        subscription.unsubscribe()
      }
    },
    getSnapshot: () => (active ? active.$history.get() : NONE),
    // Not subscribed yet (the first render, the server): there is nothing to page from.
    loadMore: (limit) => (active ? active.loadMore(limit) : Promise.resolve(NONE.end)),
  }
}

/**
 * Pages a topic's older events into the store a {@link useRealtime} with the same options renders,
 * like TanStack Query's `useInfiniteQuery`: `loadMore()`, `hasMore`, `isLoadingMore`, `end` and
 * `error`. Pass the same `topic` and `options` (the same merge strategy object, the same filter)
 * as that `useRealtime`: the two share one store; `enabled: false` turns both off (`throwOnError`
 * is useRealtime's alone: a failed page is this hook's `error`). Only a store built from events can page (a
 * `crud()` or `latest()` strategy, without `snapshot` or `load`, which already hold the past).
 *
 * The subscription is kept while `client`, `topic`, `options.enabled` and the JSON of
 * `options.filter` stay equal.
 *
 * @example
 * const chatOptions = { merge: latest<Message>({ size: 500 }), rewind: 20 }
 * function Chat() {
 *   const { data } = useRealtime(client, 'chat', chatOptions)
 *   const { loadMore, hasMore, isLoadingMore } = useHistory(client, 'chat', chatOptions)
 *   return <button disabled={!hasMore || isLoadingMore} onClick={() => loadMore()}>Older</button>
 * }
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
  topic: K,
  options: UseRealtimeOptions<TopicData<SchemaOf<Client>, K, TData>>,
): UseHistoryResult
/** The same, with the client of the nearest {@link SluiceProvider}. */
export function useHistory<TData>(topic: string, options: UseRealtimeOptions<TData>): UseHistoryResult
export function useHistory<TData>(
  ...args: [AnyClient, string, UseRealtimeOptions<TData>] | [string, UseRealtimeOptions<TData>]
): UseHistoryResult {
  const withClient = typeof args[0] !== 'string'
  const fromContext = useClient(!withClient)
  const [client, topic, options] = withClient
    ? (args as [AnyClient, string, UseRealtimeOptions<TData>])
    : [fromContext!, args[0] as string, args[1] as UseRealtimeOptions<TData>]
  const filterKey = options.filter === undefined ? '' : JSON.stringify(options.filter)
  const enabled = options.enabled !== false
  // biome-ignore lint/correctness/useExhaustiveDependencies: as useRealtime, the other options are read once per subscription; filterKey stands for options.filter, enabled for options.enabled
  const source = useMemo(
    () => createHistorySource(client, topic, options),
    [client, topic, filterKey, enabled],
  )
  const { hasMore, loading, end } = useSyncExternalStore(source.subscribe, source.getSnapshot, () => NONE)
  // Kept with its source: an error of the previous topic is not this one's.
  const [failure, setFailure] = useState<{ source: HistorySource; error: ClientError } | null>(null)
  const loadMore = useCallback(
    async (limit?: number) => {
      setFailure(null)
      try {
        return await source.loadMore(limit)
      } catch (error) {
        setFailure({ source, error: error as ClientError })
        return undefined
      }
    },
    [source],
  )
  const error = failure?.source === source ? failure.error : null
  return { loadMore, hasMore, isLoadingMore: loading, end, error }
}
