// What the framework bindings (@sluice/react, @sluice/vue) hand to components for one
// subscription: the store's state with its status as flags, the store's error as a ClientError,
// and the throwOnError decision. Only the reactivity differs per framework (useSyncExternalStore,
// a shallowRef), so the result's shape and its docs live here, once.
import { ClientError } from './client-error'
import type { SubscriptionState } from './store/types'

/**
 * A subscription's state as a binding returns it: the store's state, one flag per non-idle
 * status, the `stale` flag as a boolean, and two ways to reload the topic.
 *
 * The four status flags are exclusive: at most one is true, and none while `status` is
 * `'idle'` (nothing is subscribed: the binding is disabled or has not subscribed yet, on the
 * server, after `client.close()`). `isStale` is another axis: the data may miss events,
 * whatever the status.
 */
export interface SubscriptionResult<TData> extends SubscriptionState<TData> {
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
   * (disabled, or not subscribed yet); true when asked.
   */
  resync(): boolean
  /**
   * {@link SubscriptionResult.resync | resync()}, then waits: resolves with the result once the
   * topic is live again, rejects with the `ClientError` if it goes to `error` instead. Rejects
   * with a `NOT_FOUND` ClientError naming the topic when nothing is subscribed, and with
   * `CLOSED` when the subscription ends first. Use it where you await the reload (a
   * pull-to-refresh); use `resync()` where you do not.
   */
  refetch(): Promise<SubscriptionResult<TData>>
}

/** The actions of a result, bound by the binding to its one subscription. */
export type SubscriptionActions<TData> = Pick<SubscriptionResult<TData>, 'resync' | 'refetch'>

/**
 * The result for `state`: the state itself, its status as flags and the binding's actions. A
 * new object per call: a binding that must keep the same object while the state is the same
 * (React's `getSnapshot`) remembers the last one itself.
 *
 * @example
 * const result = subscriptionResult(subscription.$state.get(), { resync, refetch })
 * if (result.isStale) result.resync()
 * @param state - the store's state (`subscription.$state.get()`, or {@link initialSubscriptionState})
 * @param actions - `resync` and `refetch` of the binding's subscription
 * @returns the state with `isConnecting`, `isLive`, `isResyncing`, `isError`, `isStale` and the actions
 */
export function subscriptionResult<TData>(
  state: SubscriptionState<TData>,
  actions: SubscriptionActions<TData>,
): SubscriptionResult<TData> {
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
 * The store's error as the client's error class, naming the topic, so an error boundary (or
 * `onErrorCaptured`) can match on `code` and show which topic failed.
 *
 * @example
 * const error = subscriptionError(state, 'todos')
 * // ClientError FORBIDDEN 'subscribe todos: not allowed', error.topic === 'todos'
 * @param state - the store's state
 * @param topic - the subscribed topic, named in the message and set as `error.topic`
 * @returns a `ClientError` with the store's `code`, or null when the state has no error
 */
export function subscriptionError(state: SubscriptionState<unknown>, topic: string): ClientError | null {
  if (!state.error) return null
  return new ClientError(state.error.code, `subscribe ${topic}: ${state.error.message}`, { topic })
}

/** A binding's `throwOnError` option: throw every error, none, or those the function picks. */
export type ThrowOnError = boolean | ((error: ClientError) => boolean)

/**
 * Whether `throwOnError` asks for this error to be thrown (a function decides per error).
 *
 * @example
 * shouldThrow((error) => error.code === 'FORBIDDEN', subscriptionError(state, topic)!)
 * @param throwOnError - the binding's option; undefined throws nothing
 * @param error - the subscription's error, from {@link subscriptionError}
 * @returns true to throw it
 */
export function shouldThrow(throwOnError: ThrowOnError | undefined, error: ClientError): boolean {
  return typeof throwOnError === 'function' ? throwOnError(error) : throwOnError === true
}
