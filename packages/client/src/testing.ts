// Test helpers for apps and bindings: a stand-in for createClient() built on the real store
// (createSubscriptionStore) and a real nanostores atom, so components that use useRealtime can
// be tested without a server. Framework bindings only see the structural client interface
// (`subscribe` + `$connection`), so this drives them exactly as the connection layer would:
// the test pushes events into the sink of a topic and watches what components render. It
// counts subscribe/unsubscribe calls and shares one store per topic + filter + presence flag
// with a reference count. (The real client also keeps stores with different merge strategies
// apart; a component test rarely feeds one topic to two strategies.)
import type { EventFrame } from '@sluice/protocol'
import { atom } from 'nanostores'
import { type ConnectionState, INITIAL_CONNECTION_STATE } from './connection-state'
import { createSubscriptionStore } from './store/subscription-store'
import type { SubscriptionSink } from './store/types'
import type { HistoryState } from './store-history'
import type { SubscribeOptions, Subscription } from './subscriptions'

interface Entry {
  // biome-ignore lint/suspicious/noExplicitAny: one map holds stores of every data type
  store: ReturnType<typeof createSubscriptionStore<any>>
  refs: number
}

/**
 * A client double for component tests: real stores, no network. Push events with
 * `sink(topic).pushEvents([...])`, change the connection with `setConnection(...)`.
 *
 * @example
 * import { createFakeClient, created } from '@sluice/client/testing'
 * const fake = createFakeClient()
 * render(<Todos client={fake.client} />)
 * fake.sink('todos').pushEvents([created('todos', { id: 't1', title: 'Bread' })])
 */
export function createFakeClient() {
  const entries = new Map<string, Entry>()
  const $connection = atom<ConnectionState>(INITIAL_CONNECTION_STATE)
  const calls = { subscribe: 0, unsubscribe: 0 }
  const keyOf = (topic: string, filter: unknown, presence?: boolean) =>
    `${topic} ${JSON.stringify(filter ?? null)} ${!!presence}`

  const client = {
    $connection,
    subscribe<TData>(topic: string, options: SubscribeOptions<TData>): Subscription<TData> {
      calls.subscribe++
      const key = keyOf(topic, options.filter, options.presence)
      let entry = entries.get(key)
      if (!entry) {
        entry = {
          store: createSubscriptionStore<TData>({
            merge: options.merge,
            scheduler: { schedule: (flush) => queueMicrotask(flush) },
            ...(options.initialData !== undefined && { initialData: options.initialData }),
            topic,
          }),
          refs: 0,
        }
        entries.set(key, entry)
        entry.store.setStatus('connecting')
      }
      entry.refs++
      const current = entry
      let left = false
      return {
        $state: current.store.$state,
        optimistic: (event) => current.store.optimistic(event),
        // No server, no log to page back through.
        $history: atom<HistoryState>({ hasMore: false, loading: false, end: null }),
        loadMore: () => Promise.resolve(null),
        unsubscribe() {
          if (left) return
          left = true
          calls.unsubscribe++
          if (--current.refs === 0) entries.delete(key)
        },
      }
    },
  }

  return {
    client,
    calls,
    /**
     * The store behind `topic` (+ filter, + `presence: true` for a presence store), as the
     * connection layer writes it; throws when nobody subscribed.
     */
    sink<TData = unknown>(topic: string, filter?: unknown, presence?: boolean): SubscriptionSink<TData> {
      const entry = entries.get(keyOf(topic, filter, presence))
      if (!entry) throw new Error(`nobody is subscribed to ${topic}`)
      return entry.store
    },
    refs(topic: string, filter?: unknown, presence?: boolean): number {
      return entries.get(keyOf(topic, filter, presence))?.refs ?? 0
    },
    setConnection(patch: Partial<ConnectionState>) {
      $connection.set({ ...$connection.get(), ...patch })
    },
  }
}

let seq = 0

/** A `created` event for `topic`, at the next position of epoch `e1` (positions increase across calls). */
export function created(
  topic: string,
  data: { id: string; [key: string]: string | number | boolean },
): EventFrame {
  seq++
  return { type: 'event', topic, epoch: 'e1', seq, kind: 'created', key: data.id, data, ts: 0 }
}

/** The client side of {@link createFakeClient}, as components receive it. */
export type FakeClient = ReturnType<typeof createFakeClient>['client']
