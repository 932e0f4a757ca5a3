import { ClientError } from './client-error'
import type { SubscriptionState } from './store/types'
import { subscriptionError } from './subscription-result'
import type { Subscription } from './subscriptions'

/** Options of {@link untilLive}. */
export interface UntilLiveOptions<TData, R> {
  /** The subscribed topic, named in the errors and set as their `topic`. */
  topic: string
  /** Names the waiting call in the `CLOSED` error, e.g. `refetch todos`. */
  subject: string
  /** What the promise resolves with, made from the live state (a binding's result object). */
  view: (state: SubscriptionState<TData>) => R
  /**
   * Where the wait puts its rejecter while it waits, and takes it out once settled. A binding
   * whose subscription ends first (the component unmounted, the topic changed) calls each
   * rejecter left with a `CLOSED` ClientError that says so; a wait without it only settles on
   * the store's status.
   */
  waiting?: Set<(error: ClientError) => void>
}

/**
 * Waits until the subscription's store is live: the second half of a binding's `refetch()`
 * (after `client.resync(topic)`) and of Vue's `suspense()`. A store already live resolves at
 * once (a reload that does not touch it, as of a presence store, would leave nothing to wait for).
 *
 * @example
 * client.resync('todos')
 * const result = await untilLive(subscription, {
 *   topic: 'todos',
 *   subject: 'refetch todos',
 *   view: (state) => subscriptionResult(state, actions),
 * })
 * @param subscription - the subscription whose store is watched
 * @param options - the topic, the subject for errors, the view and the binding's `waiting` set
 * @returns `view(state)` of the first live state; rejects with the store's error as a
 *   {@link subscriptionError | ClientError} when it turns `error`, with `CLOSED` when it turns
 *   `idle` (the client was closed), or with what a rejecter in `waiting` is called with
 */
export function untilLive<TData, R>(
  subscription: Pick<Subscription<TData>, '$state'>,
  { topic, subject, view, waiting }: UntilLiveOptions<TData, R>,
): Promise<R> {
  return new Promise((resolve, reject) => {
    let stop = () => {}
    const fail = (error: ClientError) => {
      stop()
      waiting?.delete(fail)
      reject(error)
    }
    const settle = (state: SubscriptionState<TData>): boolean => {
      if (state.status === 'live') {
        stop()
        waiting?.delete(fail)
        resolve(view(state))
        return true
      }
      if (state.status === 'error') fail(subscriptionError(state, topic)!)
      else if (state.status === 'idle')
        fail(new ClientError('CLOSED', `${subject}: the client was closed`, { topic }))
      else return false
      return true
    }
    if (settle(subscription.$state.get())) return
    waiting?.add(fail)
    stop = subscription.$state.listen((state) => {
      settle(state)
    })
  })
}
