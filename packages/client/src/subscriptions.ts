import type { ClientFrame, Filter, HistoryEnd, JsonObject, Position, ResyncReason } from '@sluice/protocol'
import { isValidTopic, MAX_REWIND } from '@sluice/protocol'
import type { ReadableAtom } from 'nanostores'
import type { AwaitedAnswers } from './awaited-answers'
import { ClientError, isRetryLater } from './client-error'
import type { TopicFrame } from './frame-router'
import type { SubscriptionStore } from './store/subscription-store'
import type { MergeStrategy, OptimisticEvent, SubscriptionState } from './store/types'
import type { HistoryState } from './store-history'
import { createTopic, type Topic } from './topic'

/** Options of `client.subscribe`. */
export interface SubscribeOptions<TData> {
  /** How events become the store's data: `crud()`, `latest()`, `set()`, `custom()`... */
  merge: MergeStrategy<TData>
  /**
   * Only events whose `meta` matches. Two subscriptions with different filters on one topic
   * share one server subscription (the OR of both filters) and are filtered again locally.
   */
  filter?: Filter
  /**
   * Ask the server for a snapshot on the first subscribe, and after any resync. Snapshots are
   * the topic's state as the server's `snapshot` provider returns it; they are not filtered.
   * @default false
   */
  snapshot?: boolean
  /**
   * Your own snapshot loader, used instead of a server snapshot: once when the subscription
   * is first confirmed, and after every resync. Its result must be at least as new as the
   * moment it was called; events that arrive while it runs are applied on top of it. It
   * resolves with snapshot-shaped data for the merge strategy's `fromSnapshot` (`Todo[]` of an
   * `interface Todo` is fine: the strategy checks the shape it reads).
   */
  load?: () => Promise<unknown>
  /**
   * Fill this store from the topic's presence (a `sync`, then join/update/leave as events of
   * those kinds with the member as data) instead of its events. Use with `presence()`.
   * @default false
   */
  presence?: boolean
  /**
   * Called when the server could not replay what was missed (`too_old`, `epoch_changed`,
   * `ahead`), or an event arrived from a log nothing announced (`epoch_changed`).
   */
  onResync?: (reason: ResyncReason) => void
  /**
   * State to show before the first snapshot or event, e.g. rendered on the server (for
   * snapshot-shaped JSON pass `merge.fromSnapshot(json)`).
   */
  initialData?: TData
  /**
   * Where in the topic's log `initialData` was taken. The first subscribe then resumes after it
   * (replay, no snapshot needed) instead of starting at the head.
   */
  initialPosition?: Position
  /**
   * Start with the last `rewind` events of the topic's log (at most 1000, `MAX_REWIND`) instead
   * of only the events published from now on: a chat's last messages. Asked for when the topic
   * is subscribed from the head — its first store, a reload — not when it resumes from a
   * position (the store already has those events), not when a snapshot is asked for (the
   * snapshot already holds the past), and not for a store joining a topic already live. The
   * server replays what its log still holds: fewer when the log is younger or evicted them.
   * @default 0
   */
  rewind?: number
}

/** A handle on one `client.subscribe` call. */
export interface Subscription<TData> {
  /** The store: data, status, error, stale, position. Shared by the subscriptions of the same topic, filter and strategy key. */
  readonly $state: ReadableAtom<SubscriptionState<TData>>
  /** Applies an event locally until the server's copy (same `publishId`) arrives; returns a rollback. */
  optimistic(event: OptimisticEvent): () => void
  /**
   * Whether older events can be loaded, whether a page is loading, and why nothing older comes
   * (see {@link HistoryState}). Shared by the subscriptions of one store.
   */
  readonly $history: ReadableAtom<HistoryState>
  /**
   * Loads the events before the oldest one the store holds, at most `limit` log positions
   * (1 to 100, default 50), from the server's log, and merges them under the store's data
   * (`crud`: keys the store has not seen since; `latest`: as many as fit). Resolves with the
   * page's end reason, null when more may follow; while a page loads, returns that page.
   */
  loadMore(limit?: number): Promise<HistoryEnd | null>
  /** Leaves the subscription; the server subscription ends when its last user leaves. Idempotent. */
  unsubscribe(): void
}

export type StoreFactory = <TData>(options: {
  merge: MergeStrategy<TData>
  topic: string
  initialData?: TData
  initialPosition?: Position | null
}) => SubscriptionStore<TData>

export interface SubscriptionsDeps {
  answers: AwaitedAnswers
  send(frame: ClientFrame): void
  isOpen(): boolean
  nextId(): string
  createStore: StoreFactory
  /** Starts the connection when the client is lazy. */
  demand(): void
  now(): number
}

/**
 * The client's subscriptions: one {@link createTopic | topic} per topic name, each with its
 * server subscription, position and stores; the topic frames reach them here by name.
 */
export function createSubscriptions(deps: SubscriptionsDeps) {
  const { answers, send, isOpen, nextId } = deps
  const topics = new Map<string, Topic>()

  // Sent again after RATE_LIMITED or UNAVAILABLE, unless the topic was subscribed again meanwhile.
  const sendUnsubscribe = (topic: string): void => {
    const id = nextId()
    answers.add(id, {
      answer(answer) {
        if (answer.type !== 'error' || !isRetryLater(answer.code)) return
        answers.retryLater(answer.retryAfterMs ?? 1000, () => {
          if (!topics.has(topic)) sendUnsubscribe(topic)
        })
      },
    })
    send({ type: 'unsubscribe', id, topic })
  }

  return {
    subscribe<TData>(topic: string, options: SubscribeOptions<TData>): Subscription<TData> {
      if (typeof process !== 'undefined' && process.env.NODE_ENV !== 'production') {
        if (!isValidTopic(topic, Number.MAX_SAFE_INTEGER)) {
          throw new ClientError(
            'BAD_REQUEST',
            `subscribe: topic must be a non-empty string of [A-Za-z0-9._~:@/+=-], received ${JSON.stringify(topic)}`,
          )
        }
        if (typeof options?.merge?.apply !== 'function') {
          throw new ClientError(
            'BAD_REQUEST',
            `subscribe ${topic}: options.merge must be a merge strategy, e.g. { merge: crud() }, received ${JSON.stringify(options?.merge)}`,
            { topic },
          )
        }
        const { rewind } = options
        // The server would refuse it (LIMIT_EXCEEDED, BAD_REQUEST) and the store would only show `error`.
        if (rewind !== undefined && !(Number.isSafeInteger(rewind) && rewind >= 0 && rewind <= MAX_REWIND)) {
          throw new ClientError(
            'BAD_REQUEST',
            `subscribe ${topic}: options.rewind must be an integer from 0 to ${MAX_REWIND}, received ${JSON.stringify(rewind)}`,
            { topic },
          )
        }
      }
      let state = topics.get(topic)
      if (!state) {
        state = createTopic(topic, {
          ...deps,
          onEmpty() {
            topics.delete(topic)
            if (isOpen()) sendUnsubscribe(topic)
          },
        })
        topics.set(topic, state)
      }
      const subscription = state.join(options)
      deps.demand()
      return subscription
    },

    /** Sets (or with null clears) this client's presence state on a subscribed topic; restated after reconnects. */
    setPresence(topic: string, state: JsonObject | null): void {
      if (typeof process !== 'undefined' && process.env.NODE_ENV !== 'production' && !topics.has(topic)) {
        throw new ClientError(
          'NOT_FOUND',
          `setPresence: subscribe to ${topic} before setting presence on it`,
          {
            topic,
          },
        )
      }
      topics.get(topic)?.setPresence(state)
    },

    /** Reloads the stores of `topic` (see `client.resync`); false when the client has none. */
    resync(topic: string): boolean {
      const state = topics.get(topic)
      state?.resync()
      return state !== undefined
    },

    /** Subscribes every topic from its position, on a new or switched connection. */
    onOpen(): void {
      for (const state of topics.values()) state.open()
    },
    onDrop(): void {
      for (const state of topics.values()) state.drop()
    },
    onClosed(error: ClientError | null): void {
      for (const state of topics.values()) state.close(error)
    },

    /** A frame of a topic: to that topic, if the client still has it. */
    handle(frame: TopicFrame): void {
      topics.get(frame.topic)?.handle(frame)
    },
  }
}

export type Subscriptions = ReturnType<typeof createSubscriptions>
