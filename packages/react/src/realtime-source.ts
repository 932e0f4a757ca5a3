import {
  ClientError,
  initialSubscriptionState,
  type Subscription,
  type SubscriptionState,
  subscriptionResult,
  type TopicSchema,
  untilLive,
} from '@sluice/client'
import type { RealtimeClient } from './realtime-client'
import type { RealtimeResult, UseRealtimeOptions } from './realtime-result'
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
      lastResult = subscriptionResult(state, actions)
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
      return untilLive(subscription, { topic, subject: `refetch ${topic}`, view, waiting })
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
