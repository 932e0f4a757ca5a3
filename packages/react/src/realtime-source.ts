import {
  ClientError,
  initialSubscriptionState,
  type Subscription,
  type SubscriptionState,
  type TopicSchema,
} from '@sluice/client'
import type { RealtimeClient } from './realtime-client'
import { type RealtimeResult, subscriptionError, toResult, type UseRealtimeOptions } from './realtime-result'
import type { HeldSubscription } from './suspense-cache'

/** A client-shaped object; `resync` is optional so test doubles and wrappers without it still fit. */
export type SourceClient = RealtimeClient<TopicSchema> & { resync?(topic: string): void }

/** What useSyncExternalStore reads, plus what the suspense hook needs to wait before it renders. */
export interface RealtimeSource<TData> {
  subscribe(onChange: () => void): () => void
  getSnapshot(): RealtimeResult<TData>
  getServerSnapshot(): RealtimeResult<TData>
  /** Whether a commit subscribed: from then on the component renders what its own subscription holds. */
  readonly committed: boolean
  /** The suspense hook's hold, read until a commit subscribes, then released by it. */
  held: HeldSubscription<TData> | null
}

/**
 * One subscription of one hook call, for useSyncExternalStore. `client.subscribe` is called
 * from its subscribe callback, which React runs after commit and never on the server, so a
 * render thrown away (concurrent rendering, StrictMode) leaks nothing. The suspense hook is the
 * exception: it must subscribe during render to have something to wait for, so that
 * subscription lives in the suspense cache until a commit claims it or its grace period ends.
 */
export function createSource<TData>(
  client: SourceClient,
  topic: string,
  options: UseRealtimeOptions<TData>,
): RealtimeSource<TData> {
  const enabled = options.enabled !== false
  let active: Subscription<TData> | null = null
  let initial: SubscriptionState<TData> | undefined
  // Rejecters of the refetch() calls still waiting, told when the subscription ends first.
  const waiting = new Set<(error: ClientError) => void>()

  const current = () => active ?? source.held?.subscription ?? null
  const stateNow = () => {
    const subscription = current()
    if (subscription) return subscription.$state.get()
    initial ??= initialSubscriptionState(options)
    return initial
  }

  // One result object per store state, so useSyncExternalStore sees the same snapshot until
  // the state changes and components re-render only then.
  let lastState: SubscriptionState<TData> | null = null
  let lastResult: RealtimeResult<TData> | null = null
  const view = (state: SubscriptionState<TData>) => {
    if (state !== lastState || !lastResult) {
      lastState = state
      lastResult = toResult(state, actions)
    }
    return lastResult
  }

  const resync = (): boolean => {
    if (!current()) return false
    if (typeof client.resync !== 'function') {
      throw new ClientError('BAD_REQUEST', `resync ${topic}: the client given to the hook has no resync()`, {
        topic,
      })
    }
    client.resync(topic)
    return true
  }

  const actions = {
    resync,
    refetch(): Promise<RealtimeResult<TData>> {
      const subscription = current()
      if (!subscription) {
        return Promise.reject(
          new ClientError(
            'NOT_FOUND',
            `refetch ${topic}: nothing is subscribed (the hook is disabled or has not committed yet)`,
            { topic },
          ),
        )
      }
      try {
        resync()
      } catch (error) {
        return Promise.reject(error)
      }
      return new Promise((resolve, reject) => {
        let stop = () => {}
        const fail = (error: ClientError) => {
          stop()
          waiting.delete(fail)
          reject(error)
        }
        // A store the reload does not touch (presence) is still live: nothing will change.
        const settle = (state: SubscriptionState<TData>): boolean => {
          if (state.status === 'live') {
            stop()
            waiting.delete(fail)
            resolve(view(state))
            return true
          }
          if (state.status === 'error') fail(subscriptionError(state, topic)!)
          else if (state.status === 'idle')
            fail(new ClientError('CLOSED', `refetch ${topic}: the client was closed`, { topic }))
          else return false
          return true
        }
        if (settle(subscription.$state.get())) return
        waiting.add(fail)
        stop = subscription.$state.listen((state) => {
          settle(state)
        })
      })
    },
  }

  const source: RealtimeSource<TData> = {
    get committed() {
      return active !== null
    },
    held: null,
    subscribe(onChange) {
      if (!enabled) return () => {}
      const subscription: Subscription<TData> = client.subscribe(topic, options)
      active = subscription
      // This commit now holds the store itself; the suspense cache can let go of its hold.
      source.held?.release()
      source.held = null
      const stop = subscription.$state.listen(() => onChange())
      // A subscription shared with another component may already hold data.
      onChange()
      return () => {
        stop()
        if (active === subscription) active = null
        subscription.unsubscribe()
        for (const fail of [...waiting]) {
          fail(
            new ClientError(
              'CLOSED',
              `refetch ${topic}: the component unsubscribed before the topic was live again`,
              { topic },
            ),
          )
        }
      }
    },
    getSnapshot: () => view(stateNow()),
    // On the server nothing is subscribed, except what a suspended render holds.
    getServerSnapshot: () => view(stateNow()),
  }
  return source
}
