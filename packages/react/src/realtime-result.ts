import { ClientError, type SubscribeOptions, type SubscriptionState } from '@sluice/client'

/** Options of {@link useRealtime}: those of `client.subscribe`, plus when to subscribe and whether errors throw. */
export interface UseRealtimeOptions<TData> extends SubscribeOptions<TData> {
  /**
   * Subscribe only while true. While false nothing is subscribed (no frame is sent), `status`
   * stays `'idle'` and `data` is `initialData` or the strategy's empty state; turning it true
   * subscribes, turning it false again unsubscribes. Use it to wait for an id, a login, a tab.
   * @default true
   */
  enabled?: boolean
  /**
   * Throw the subscription's error during render when its status is `'error'`, so the nearest
   * error boundary shows it; a function decides per error. The thrown value is a `ClientError`
   * with the store's `code` and the `topic`.
   * @default false
   */
  throwOnError?: boolean | ((error: ClientError) => boolean)
}

/**
 * What {@link useRealtime} returns: the store's state, one flag per non-idle status, the
 * `stale` flag as a boolean, and two ways to reload the topic.
 *
 * The four status flags are exclusive: at most one is true, and none while `status` is
 * `'idle'` (disabled, before the first commit, on the server, after `client.close()`).
 * `isStale` is another axis: the data may miss events, whatever the status.
 */
export interface RealtimeResult<TData> extends SubscriptionState<TData> {
  /** `status === 'connecting'`: subscribed, no consistent data yet (waiting for the server, or offline). */
  isConnecting: boolean
  /** `status === 'live'`: every event is applied as it happens. */
  isLive: boolean
  /** `status === 'resyncing'`: a gap was found, or a reload was asked for; the data is being replaced. */
  isResyncing: boolean
  /** `status === 'error'`: it will not go live without your help; `error` says why. */
  isError: boolean
  /** `stale !== null`: the data may miss events (see `stale` for why); a resync repairs it. */
  isStale: boolean
  /**
   * Asks the server for a fresh snapshot of this topic (`client.resync(topic)`), e.g. to repair
   * stale data; returns at once. Returns false, asking nothing, when nothing is subscribed
   * (`enabled: false`, before the first commit); true when asked.
   */
  resync(): boolean
  /**
   * {@link RealtimeResult.resync | resync()}, then waits: resolves with the result once the
   * topic is live again, rejects with the `ClientError` if it goes to `error` instead. Rejects
   * with a `NOT_FOUND` ClientError naming the topic when nothing is subscribed, and with
   * `CLOSED` when the component unsubscribes first. Use it where you await the reload (a
   * pull-to-refresh); use `resync()` where you do not.
   */
  refetch(): Promise<RealtimeResult<TData>>
}

/** The actions of a result, bound to one subscription source. */
export type RealtimeActions<TData> = Pick<RealtimeResult<TData>, 'resync' | 'refetch'>

/** The result for `state`: the state itself, its flags and the source's actions. */
export function toResult<TData>(
  state: SubscriptionState<TData>,
  actions: RealtimeActions<TData>,
): RealtimeResult<TData> {
  const { status } = state
  return {
    ...state,
    isConnecting: status === 'connecting',
    isLive: status === 'live',
    isResyncing: status === 'resyncing',
    isError: status === 'error',
    isStale: state.stale !== null,
    resync: actions.resync,
    refetch: actions.refetch,
  }
}

/**
 * The store's error as the client's error class, naming the topic, so an error boundary can
 * match on `code` and show which topic failed. Null when the state has none.
 */
export function subscriptionError(state: SubscriptionState<unknown>, topic: string): ClientError | null {
  if (!state.error) return null
  return new ClientError(state.error.code, `subscribe ${topic}: ${state.error.message}`, { topic })
}

/** Whether `throwOnError` asks for this error to be thrown. */
export function shouldThrow(
  throwOnError: UseRealtimeOptions<unknown>['throwOnError'],
  error: ClientError,
): boolean {
  return typeof throwOnError === 'function' ? throwOnError(error) : throwOnError === true
}
