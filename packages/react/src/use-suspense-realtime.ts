import { ClientError, type SchemaOf, subscriptionError, type TopicName } from '@sluice/client'
import type { RealtimeClient, TopicData } from './realtime-client'
import type { RealtimeResult, UseRealtimeOptions } from './realtime-result'
import type { RealtimeSource, SourceClient } from './realtime-source'
import { holdSubscription } from './suspense-cache'
import { type RealtimeArgs, useRealtimeArgs, useRealtimeResult } from './use-realtime'

/**
 * Options of {@link useSuspenseRealtime}: those of `useRealtime` without `enabled` (a render
 * that waits must have something to wait for; render the component conditionally instead).
 */
export type UseSuspenseRealtimeOptions<TData> = Omit<UseRealtimeOptions<TData>, 'enabled'>

/**
 * During render: returns when the topic is live (or the component committed), else throws the
 * promise to suspend on, or the error when the subscription failed (or the client closed)
 * before it was live.
 */
function suspendUntilLive<TData>(
  source: RealtimeSource<TData>,
  client: SourceClient,
  topic: string,
  options: UseRealtimeOptions<TData>,
): void {
  if (source.committed) return
  // On the server a subscription would open a connection from the server process and hold it
  // for the grace period, for data the browser loads again anyway. Throwing here is React's
  // documented way to leave a boundary to the client: the server HTML carries the nearest
  // <Suspense> fallback, and the browser renders the component (and suspends) itself.
  if (typeof window === 'undefined') {
    throw new ClientError(
      'UNAVAILABLE',
      `useSuspenseRealtime ${topic}: renders in the browser only; the server renders the nearest <Suspense> fallback (server-render with useRealtime and initialData instead)`,
      { topic },
    )
  }
  // A hold whose grace period ended while this render waited is gone: hold again.
  if (!source.held || source.held.released) source.held = holdSubscription(client, topic, options)
  const { ready, settled, subscription } = source.held
  const state = subscription.$state.get()
  if (state.status === 'live') return
  const error = subscriptionError(state, topic)
  if (error) throw error
  if (state.status === 'idle' && settled) {
    throw new ClientError('CLOSED', `subscribe ${topic}: the client was closed before the topic went live`, {
      topic,
    })
  }
  throw ready
}

/**
 * {@link useRealtime} for `<Suspense>`: the component suspends until the topic is first live,
 * so it renders with consistent data and never sees `idle` or `connecting` on its first commit.
 * If the subscription fails before it is live, the render throws its `ClientError` (code and
 * topic) to the nearest error boundary whatever `throwOnError` says; after that, `throwOnError`
 * applies as in `useRealtime`. A reconnect later does not suspend again: the data stays shown,
 * with `isConnecting` true.
 *
 * On the server it subscribes to nothing: it throws, so the server HTML carries the nearest
 * `<Suspense>` fallback and the browser renders the component (React's way to leave a boundary
 * to the client). To server-render a topic's data, use `useRealtime` with `initialData`.
 *
 * The subscription starts during render, which React may throw away without telling; it is
 * kept in a cache by client, topic, filter and strategy, taken over by the component's commit,
 * and otherwise left {@link SUSPENSE_GRACE_MS} after it went live or failed.
 *
 * @example
 * function Todos() {
 *   const { data } = useSuspenseRealtime(client, 'todos', { merge: todosMerge, snapshot: true })
 *   return <List items={data.items} />
 * }
 * // <ErrorBoundary fallback={<Failed />}><Suspense fallback={<Spinner />}><Todos /></Suspense></ErrorBoundary>
 */
// One signature for every client, as useRealtime's: the schema is read from the client's type,
// so a topic the schema lacks is reported at the topic under TypeScript 6 and 7 alike.
export function useSuspenseRealtime<
  TData,
  Client extends RealtimeClient = RealtimeClient,
  K extends TopicName<Client> = TopicName<Client>,
>(
  client: Client,
  topic: K,
  options: UseSuspenseRealtimeOptions<TopicData<SchemaOf<Client>, K, TData>>,
): RealtimeResult<TopicData<SchemaOf<Client>, K, TData>>
/** The same, with the client of the nearest {@link SluiceProvider}. */
export function useSuspenseRealtime<TData>(
  topic: string,
  options: UseSuspenseRealtimeOptions<TData>,
): RealtimeResult<TData>
export function useSuspenseRealtime<TData>(
  ...args: RealtimeArgs<TData, UseSuspenseRealtimeOptions<TData>>
): RealtimeResult<TData> {
  const [client, topic, options] = useRealtimeArgs(args)
  return useRealtimeResult(client, topic, { ...options, enabled: true }, suspendUntilLive)
}
