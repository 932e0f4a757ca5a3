import { ClientError, type SubscribeOptions, type Subscription, type SubscriptionState } from '@sluice/client'
import type { MaybeRefOrGetter, ShallowRef } from 'vue'

/** Options of {@link useRealtime}: those of `client.subscribe`, plus when to subscribe and whether errors throw. */
export interface UseRealtimeOptions<TData> extends SubscribeOptions<TData> {
  /**
   * Subscribe only while true (a ref or getter is followed). While false nothing is subscribed
   * (no frame is sent), `status` stays `'idle'` and `data` is `initialData` or the strategy's
   * empty state; turning it true subscribes, turning it false again unsubscribes.
   * @default true
   */
  enabled?: MaybeRefOrGetter<boolean>
  /**
   * Throw the subscription's error when its status turns `'error'`, from a watcher of the
   * component, so `onErrorCaptured` in a parent (and `app.config.errorHandler`) gets it; a
   * function decides per error. The thrown value is a `ClientError` with the store's `code` and
   * the `topic`.
   * @default false
   */
  throwOnError?: boolean | ((error: ClientError) => boolean)
}

/**
 * The value of {@link useRealtime}'s ref: the store's state, one flag per non-idle status, the
 * `stale` flag as a boolean, and two ways to reload the topic.
 *
 * The four status flags are exclusive: at most one is true, and none while `status` is
 * `'idle'` (disabled, before mount, on the server, after `client.close()`). `isStale` is another
 * axis: the data may miss events, whatever the status.
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
   * Asks the server for a fresh snapshot of this topic (`client.resync(topic)`); returns at
   * once: true when asked, false (asking nothing) when nothing is subscribed (disabled, before mount).
   */
  resync(): boolean
  /**
   * `resync()`, then resolves with the value once the topic is live again; rejects with the
   * `ClientError` if it goes to `error` instead, with `NOT_FOUND` naming the topic when nothing
   * is subscribed, and with `CLOSED` when the subscription ends first. For code that awaits the
   * reload; `resync()` is for code that does not.
   */
  refetch(): Promise<RealtimeResult<TData>>
}

/** What {@link useRealtime} returns: a read-only shallow ref of the result, plus `suspense()`. */
export type UseRealtime<TData> = Readonly<ShallowRef<RealtimeResult<TData>>> & {
  /**
   * For `async setup()` under `<Suspense>`: subscribes now if the component has not mounted
   * yet, and resolves with the value once the topic is live; rejects with the `ClientError`
   * if it fails first. Resolves at once with the idle value when disabled, and on the server
   * (nothing is subscribed there). If the scope stops first it never settles: the component is
   * gone.
   */
  suspense(): Promise<RealtimeResult<TData>>
}

/** The result for `state`: the state itself, its flags and the composable's actions. */
export function toResult<TData>(
  state: SubscriptionState<TData>,
  actions: Pick<RealtimeResult<TData>, 'resync' | 'refetch'>,
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

/** The store's error as the client's error class, naming the topic; null when the state has none. */
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

/**
 * Resolves with `view(state)` once the subscription's store is live; rejects with its error,
 * or with CLOSED when the client closed. `cancel` is registered so that the caller can reject
 * it when the subscription ends first. `subject` names the call in errors (`refetch todos`).
 */
export function untilLive<TData, R>(
  subscription: Subscription<TData>,
  topic: string,
  subject: string,
  view: (state: SubscriptionState<TData>) => R,
  waiting: Set<(error: ClientError) => void>,
): Promise<R> {
  return new Promise((resolve, reject) => {
    let stop = () => {}
    const fail = (error: ClientError) => {
      stop()
      waiting.delete(fail)
      reject(error)
    }
    const settle = (state: SubscriptionState<TData>): boolean => {
      if (state.status === 'live') {
        stop()
        waiting.delete(fail)
        resolve(view(state))
        return true
      }
      if (state.status === 'error') fail(subscriptionError(state, topic)!)
      else if (state.status === 'idle')
        fail(new ClientError('CLOSED', `${subject}: the client was closed`, { topic }))
      else return false
      return true
    }
    // A store the reload does not touch (presence) is live already: nothing will change.
    if (settle(subscription.$state.get())) return
    waiting.add(fail)
    stop = subscription.$state.listen((state) => {
      settle(state)
    })
  })
}
