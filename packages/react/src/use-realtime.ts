import { type SchemaOf, shouldThrow, subscriptionError, type TopicName } from '@sluice/client'
import { useDebugValue, useMemo, useSyncExternalStore } from 'react'
import type { RealtimeClient, TopicData } from './realtime-client'
import type { RealtimeResult, UseRealtimeOptions } from './realtime-result'
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

// What React DevTools shows beside the hook, e.g. "todos: live at e1:42"; formatted only when inspected.
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
// One signature for every client (a real one, typed or not, or a test double): its schema is read
// from the client's type alone, so a topic the schema lacks is reported at the topic, naming it,
// by TypeScript 6 and 7 alike (with two overloads, 7 blamed the client argument). `TData` comes
// first so `useRealtime<Data>(client, topic, options)` still names the data type of an untyped client.
export function useRealtime<
  TData,
  Client extends RealtimeClient = RealtimeClient,
  K extends TopicName<Client> = TopicName<Client>,
>(
  client: Client,
  topic: K,
  options: UseRealtimeOptions<TopicData<SchemaOf<Client>, K, TData>>,
): RealtimeResult<TopicData<SchemaOf<Client>, K, TData>>
/** The same, with the client of the nearest {@link SluiceProvider}. */
export function useRealtime<TData>(topic: string, options: UseRealtimeOptions<TData>): RealtimeResult<TData>
export function useRealtime<TData>(...args: RealtimeArgs<TData>): RealtimeResult<TData> {
  const [client, topic, options] = useRealtimeArgs(args)
  return useRealtimeResult(client, topic, options)
}
