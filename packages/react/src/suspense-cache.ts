import { type SubscribeOptions, type Subscription, type SubscriptionState, storeKey } from '@sluice/client'
import type { RealtimeClient } from './realtime-client'

/**
 * How long a subscription started by a suspended render is kept, once it went live (or failed),
 * for a component to commit and take it over. React may throw a suspended render away (its
 * boundary unmounted, a transition abandoned) and never tell us; after this it is released.
 */
export const SUSPENSE_GRACE_MS = 5_000

/** A subscription a render started and no commit has taken over yet. */
export interface HeldSubscription<TData> {
  readonly subscription: Subscription<TData>
  /** Settles when the topic is live, failed or the client closed: what a suspended render waits for. */
  readonly ready: Promise<void>
  readonly settled: boolean
  /** Claimed by a commit or expired: the subscription was left. */
  readonly released: boolean
  /** Leaves the subscription and forgets the hold; a commit that subscribed itself calls it. Idempotent. */
  release(): void
}

interface Entry {
  // biome-ignore lint/suspicious/noExplicitAny: one map holds subscriptions of every data type
  subscription: Subscription<any>
  ready: Promise<void>
  settled: boolean
  released: boolean
  release(): void
}

// Per client, by the key below. A WeakMap so a client dropped by the app takes its holds along.
const holds = new WeakMap<object, Map<string, Entry>>()

// The identity the client shares a store by (filter, presence, strategy), with the topic.
const holdKey = (topic: string, options: SubscribeOptions<unknown>): string =>
  `${topic}\n${storeKey(options)}`

const settles = (state: SubscriptionState<unknown>) =>
  state.status === 'live' || state.status === 'error' || state.status === 'idle'

/**
 * Subscribes for a render that must suspend, or hands back the subscription an earlier render
 * of the same key started (React renders a suspended component again from scratch, so only a
 * cache outside the component can carry it over). The grace period starts once it settles.
 */
export function holdSubscription<TData>(
  client: RealtimeClient,
  topic: string,
  options: SubscribeOptions<TData>,
): HeldSubscription<TData> {
  let byKey = holds.get(client)
  if (!byKey) {
    byKey = new Map()
    holds.set(client, byKey)
  }
  const key = holdKey(topic, options as SubscribeOptions<unknown>)
  const found = byKey.get(key)
  if (found) return found as HeldSubscription<TData>

  const subscription = client.subscribe(topic, options)
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopListening = () => {}
  let settle = () => {}
  const entry: Entry = {
    subscription,
    ready: new Promise<void>((resolve) => {
      settle = resolve
    }),
    settled: false,
    released: false,
    release() {
      if (entry.released) return
      entry.released = true
      clearTimeout(timer)
      stopListening()
      if (byKey.get(key) === entry) byKey.delete(key)
      subscription.unsubscribe()
      // A render still suspended on it tries again and holds anew.
      settle()
    },
  }
  const onSettled = () => {
    entry.settled = true
    stopListening()
    settle()
    timer = setTimeout(() => entry.release(), SUSPENSE_GRACE_MS)
  }
  byKey.set(key, entry)
  if (settles(subscription.$state.get())) onSettled()
  else {
    stopListening = subscription.$state.listen((state) => {
      if (settles(state)) onSettled()
    })
  }
  return entry as HeldSubscription<TData>
}
