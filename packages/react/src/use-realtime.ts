import type { SluiceClient, TopicSchema } from '@sluice/client'
import { useDebugValue, useMemo, useSyncExternalStore } from 'react'
import type { StructuralClient, TopicData } from './realtime-client'
import {
  type RealtimeResult,
  shouldThrow,
  subscriptionError,
  type UseRealtimeOptions,
} from './realtime-result'
import { createSource, type RealtimeSource, type SourceClient } from './realtime-source'
import { useClient } from './sluice-provider'

/** The arguments of {@link useRealtime} and {@link useSuspenseRealtime}: with a client or without. */
export type RealtimeArgs<TData, TOptions = UseRealtimeOptions<TData>> =
  | [SourceClient, string, TOptions]
  | [string, TOptions]

/** The client, topic and options of either call form (the client from the provider when none is given). */
export function useRealtimeArgs<TData, TOptions>(
  args: RealtimeArgs<TData, TOptions>,
): [SourceClient, string, TOptions] {
  const withClient = typeof args[0] !== 'string'
  const fromContext = useClient(!withClient)
  return withClient
    ? (args as [SourceClient, string, TOptions])
    : [fromContext!, args[0] as string, args[1] as TOptions]
}

const debugLabel =
  (topic: string) =>
  ({ status, position }: RealtimeResult<unknown>) =>
    `${topic}: ${status}${position ? ` at ${position.epoch}:${position.seq}` : ''}`

/**
 * The body of both hooks. The suspense hook passes `suspend`, which throws while the render
 * must wait (passed in, so that `useRealtime` alone does not bundle the suspense cache).
 */
export function useRealtimeResult<TData>(
  client: SourceClient,
  topic: string,
  options: UseRealtimeOptions<TData>,
  suspend?: (
    source: RealtimeSource<TData>,
    client: SourceClient,
    topic: string,
    options: UseRealtimeOptions<TData>,
  ) => void,
): RealtimeResult<TData> {
  const filterKey = options.filter === undefined ? '' : JSON.stringify(options.filter)
  const enabled = options.enabled !== false
  // biome-ignore lint/correctness/useExhaustiveDependencies: the other options are read once per subscription by design; filterKey stands for options.filter, enabled for options.enabled
  const source = useMemo(() => createSource(client, topic, options), [client, topic, filterKey, enabled])
  suspend?.(source, client, topic, options)
  const result = useSyncExternalStore(source.subscribe, source.getSnapshot, source.getServerSnapshot)
  useDebugValue(result, debugLabel(topic))
  if (result.isError && options.throwOnError !== undefined) {
    const error = subscriptionError(result, topic)!
    if (shouldThrow(options.throwOnError, error)) throw error
  }
  return result
}

/**
 * Subscribes to a topic for as long as the component is mounted and returns its state:
 * `data` (shaped by the merge strategy), `status`, `error`, `stale` and `position`, the flags
 * `isConnecting`, `isLive`, `isResyncing`, `isError` and `isStale`, and `resync()` /
 * `refetch()` to reload the topic (see {@link RealtimeResult}). Events that arrive together
 * re-render once; the result is the same object until the state changes. Components using the
 * same topic, filter and an equal merge strategy share one subscription.
 *
 * The subscription is kept while `client`, `topic`, `options.enabled` and the JSON of
 * `options.filter` stay equal; the other options (merge, load, onResync...) are read when it
 * starts. With `enabled: false` nothing is subscribed. With `throwOnError` an `error` status
 * throws a `ClientError` to the nearest error boundary. On the server, and in the first browser
 * render, it returns `options.initialData` (or the strategy's empty state) with status
 * `'idle'`, so server-rendered data hydrates without a loading flash. To suspend until the
 * topic is live, use {@link useSuspenseRealtime}.
 *
 * @example
 * const todosMerge = crud<Todo>({ key: 'id' })
 * function Todos({ listId }: { listId: string | null }) {
 *   const todos = useRealtime(client, `todos/${listId}`, { merge: todosMerge, snapshot: true, enabled: listId !== null })
 *   if (todos.isStale) return <button onClick={todos.resync}>Reload</button>
 *   return <List items={todos.data.items} loading={todos.isConnecting} />
 * }
 */
export function useRealtime<Schema extends TopicSchema, K extends keyof Schema & string, TData = Schema[K]>(
  client: SluiceClient<Schema>,
  topic: K,
  options: UseRealtimeOptions<TopicData<Schema, K, TData>>,
): RealtimeResult<TopicData<Schema, K, TData>>
/** The same, with an object shaped like a client (a test double, a wrapper). */
export function useRealtime<TData>(
  client: StructuralClient,
  topic: string,
  options: UseRealtimeOptions<TData>,
): RealtimeResult<TData>
/** The same, with the client of the nearest {@link SluiceProvider}. */
export function useRealtime<TData>(topic: string, options: UseRealtimeOptions<TData>): RealtimeResult<TData>
export function useRealtime<TData>(...args: RealtimeArgs<TData>): RealtimeResult<TData> {
  const [client, topic, options] = useRealtimeArgs(args)
  return useRealtimeResult(client, topic, options)
}
