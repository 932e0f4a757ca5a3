import {
  ClientError,
  initialSubscriptionState,
  type SchemaOf,
  type Subscription,
  type SubscriptionState,
  shouldThrow,
  subscriptionError,
  subscriptionResult,
  type TopicName,
  type TopicSchema,
  untilLive,
} from '@sluice/client'
import {
  getCurrentInstance,
  inject,
  type MaybeRefOrGetter,
  shallowRef,
  ssrContextKey,
  toValue,
  watch,
} from 'vue'
import { onClient } from './on-client'
import { onScopeStop } from './on-scope-stop'
import type { RealtimeClient, TopicData } from './realtime-client'
import type { RealtimeResult, UseRealtime, UseRealtimeOptions } from './realtime-result'
import { useClient } from './sluice-plugin'

/** A client-shaped object; `resync` is optional so test doubles and wrappers without it still fit. */
type AnyClient = RealtimeClient<TopicSchema> & { resync?(topic: string): void }

/**
 * Subscribes to a topic for the life of the current component (or effect scope) and returns
 * its result as a read-only shallow ref: `data` (shaped by the merge strategy), `status`,
 * `error`, `stale` and `position`, the flags `isConnecting`, `isLive`, `isResyncing`,
 * `isError` and `isStale`, and `resync()` / `refetch()` to reload the topic (see
 * {@link RealtimeResult}). Events that arrive together trigger one update. Components using
 * the same topic, filter and an equal merge strategy share one subscription.
 *
 * `topic` and `options` may be refs or getters, and so may `options.enabled`: the subscription
 * moves when the topic or the JSON of `options.filter` changes, stops while `enabled` is
 * false; the other options are read when it starts. In a component it starts after mount, so
 * server rendering returns `options.initialData` (or the strategy's empty state) with status
 * `'idle'` and never subscribes. In `async setup()` under `<Suspense>`, `await
 * todos.suspense()` subscribes at once and waits for the topic to be live. With `throwOnError`
 * an `error` status is thrown to the parents' `onErrorCaptured`.
 *
 * @example
 * const todos = useRealtime(client, 'todos', { merge: crud<Todo>(), snapshot: true, enabled: () => signedIn.value })
 * // <button v-if="todos.isStale" @click="todos.resync()">Reload</button>
 * // <li v-for="todo in todos.data.items" :key="todo.id">{{ todo.title }}</li>
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
  topic: MaybeRefOrGetter<K>,
  options: MaybeRefOrGetter<UseRealtimeOptions<TopicData<SchemaOf<Client>, K, TData>>>,
): UseRealtime<TopicData<SchemaOf<Client>, K, TData>>
/** The same, with the provided client (see {@link sluicePlugin}). */
export function useRealtime<TData>(
  topic: MaybeRefOrGetter<string>,
  options: MaybeRefOrGetter<UseRealtimeOptions<TData>>,
): UseRealtime<TData>
export function useRealtime<TData>(
  ...args:
    | [AnyClient, MaybeRefOrGetter<string>, MaybeRefOrGetter<UseRealtimeOptions<TData>>]
    | [MaybeRefOrGetter<string>, MaybeRefOrGetter<UseRealtimeOptions<TData>>]
): UseRealtime<TData> {
  const [client, topic, options] =
    args.length === 3
      ? args
      : ([useClient(), args[0], args[1]] as [
          AnyClient,
          MaybeRefOrGetter<string>,
          MaybeRefOrGetter<UseRealtimeOptions<TData>>,
        ])
  const enabled = () => toValue(toValue(options).enabled) !== false
  // Rendering on the server: nothing may be subscribed there (nothing would ever stop it).
  const onServer = getCurrentInstance() !== null && inject(ssrContextKey, null) !== null

  let subscription: Subscription<TData> | null = null
  // The topic of the current subscription, or the one an idle result stands for.
  let subscribed = toValue(topic)
  let stop: (() => void) | null = null
  // Set after mount (or by suspense() before it): from then on the watchers may subscribe.
  let started = false
  // Rejecters of the refetch() calls still waiting, told when the subscription ends first.
  const waiting = new Set<(error: ClientError) => void>()

  const resync = (): boolean => {
    if (!subscription) return false
    if (typeof client.resync !== 'function') {
      throw new ClientError(
        'BAD_REQUEST',
        `resync ${subscribed}: the client given to useRealtime has no resync()`,
        {
          topic: subscribed,
        },
      )
    }
    client.resync(subscribed)
    return true
  }
  const actions = {
    resync,
    refetch(): Promise<RealtimeResult<TData>> {
      const current = subscription
      if (!current) {
        return Promise.reject(
          new ClientError(
            'NOT_FOUND',
            `refetch ${subscribed}: nothing is subscribed (useRealtime is disabled or not mounted yet)`,
            { topic: subscribed },
          ),
        )
      }
      try {
        resync()
      } catch (error) {
        return Promise.reject(error)
      }
      return untilLive(current, { topic: subscribed, subject: `refetch ${subscribed}`, view, waiting })
    },
  }
  const view = (state: SubscriptionState<TData>) => subscriptionResult(state, actions)
  const idle = () => view(initialSubscriptionState(toValue(options)))
  const state = shallowRef(idle())

  const start = () => {
    stop?.()
    subscribed = toValue(topic)
    if (!enabled()) {
      state.value = idle()
      return
    }
    const current = client.subscribe(subscribed, toValue(options))
    const sync = () => {
      state.value = view(current.$state.get())
    }
    sync()
    const unlisten = current.$state.listen(sync)
    subscription = current
    stop = () => {
      stop = null
      subscription = null
      unlisten()
      current.unsubscribe()
      for (const fail of [...waiting]) {
        fail(
          new ClientError(
            'CLOSED',
            `refetch ${subscribed}: the subscription ended before the topic was live again`,
            {
              topic: subscribed,
            },
          ),
        )
      }
    }
  }
  const begin = () => {
    if (started) return
    started = true
    start()
  }

  const key = () => {
    const { filter } = toValue(options)
    return `${toValue(topic)}\n${filter === undefined ? '' : JSON.stringify(filter)}\n${enabled()}`
  }
  // Not immediate: the first start is onClient's (or suspense()'s), and a non-immediate watcher
  // is a no-op during server rendering.
  watch(key, () => {
    if (started) start()
  })
  // A watcher callback's error goes to the parents' onErrorCaptured and the app's errorHandler,
  // which is where Vue code looks for errors of a component.
  watch(state, (result) => {
    const { throwOnError } = toValue(options)
    if (!result.isError || throwOnError === undefined) return
    const error = subscriptionError(result, subscribed)!
    if (shouldThrow(throwOnError, error)) throw error
  })
  onClient(begin)
  onScopeStop('useRealtime', () => stop?.())

  const suspense = (): Promise<RealtimeResult<TData>> => {
    if (onServer || !enabled()) return Promise.resolve(state.value)
    // Under <Suspense> the component mounts only after async setup resolves: start now.
    begin()
    if (!subscription) return Promise.resolve(state.value)
    // Not rejected when the scope stops first: the component is gone, and an error from its
    // setup would only reach an app that no longer shows it.
    return untilLive(subscription, { topic: subscribed, subject: `useRealtime ${subscribed}`, view })
  }
  return Object.assign(state, { suspense }) as UseRealtime<TData>
}
