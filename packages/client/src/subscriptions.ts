import {
  type ClientFrame,
  compileFilter,
  type ErrorCode,
  type ErrorFrame,
  type EventFrame,
  type Filter,
  type FilterPredicate,
  isValidTopic,
  type Json,
  type JsonObject,
  type Position,
  type PresenceFrame,
  type ResyncFrame,
  type ResyncReason,
  type ServerFrame,
  type SnapshotFrame,
  type SubscribedFrame,
  type SubscribeFrame,
  type UnsubscribedFrame,
} from '@sluice/protocol'
import { batch, type ReadableAtom } from 'nanostores'
import { ClientError, isRetryLater } from './client-error'
import { stableJson } from './stable-json'
import type { SubscriptionStore } from './store/subscription-store'
import type { MergeStrategy, OptimisticEvent, SubscriptionState } from './store/types'
import type { TimerHandle, TimerProvider } from './timers'

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
   * moment it was called; events that arrive while it runs are applied on top of it.
   */
  load?: () => Promise<Json>
  /**
   * Fill this store from the topic's presence (a `sync`, then join/update/leave as events of
   * those kinds with the member as data) instead of its events. Use with `presence()`.
   * @default false
   */
  presence?: boolean
  /** Called when the server could not replay what was missed (`too_old`, `epoch_changed`, `ahead`). */
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
}

/** A handle on one `client.subscribe` call. */
export interface Subscription<TData> {
  /** The store: data, status, error, position. Shared by the subscriptions of the same topic, filter and strategy key. */
  readonly $state: ReadableAtom<SubscriptionState<TData>>
  /** Applies an event locally until the server's copy (same `publishId`) arrives; returns a rollback. */
  optimistic(event: OptimisticEvent): () => void
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
  send(frame: ClientFrame): void
  isOpen(): boolean
  nextId(): string
  createStore: StoreFactory
  /** Starts the connection when the client is lazy. */
  demand(): void
  timers: TimerProvider
}

/**
 * One store of a topic, shared by the subscriptions with the same filter: the store's methods
 * (they are closures, so they work copied), the options of the subscribe that created it (its
 * filter, loader and presence flag) and what this layer tracks for it.
 */
// biome-ignore lint/suspicious/noExplicitAny: one entry serves any data type; the handle restores it
interface Entry extends SubscribeOptions<any>, SubscriptionStore<any> {
  /** The options of every open handle (their `onResync` and `snapshot` wishes); the last one leaving ends the store. */
  // biome-ignore lint/suspicious/noExplicitAny: as above
  handles: SubscribeOptions<any>[]
  match: FilterPredicate | undefined
  /** Events held back while `load()` runs, applied on top of its result; a newer load replaces the array. */
  held?: EventFrame[] | null
  /** `load()` has not run yet: it runs when the subscription is first confirmed. */
  initial: boolean
}

type TopicFrame =
  | EventFrame
  | SnapshotFrame
  | ResyncFrame
  | SubscribedFrame
  | UnsubscribedFrame
  | PresenceFrame

const positionOf = ({ epoch, seq }: Position): Position => ({ epoch, seq })

// A strategy without a `key` shares a store only with itself.
const unkeyed = new WeakMap<object, string>()
let unkeyedCount = 0
const strategyId = (merge: MergeStrategy<unknown>): string => {
  if (merge.key !== undefined) return merge.key
  let id = unkeyed.get(merge)
  if (!id) {
    id = `#${++unkeyedCount}`
    unkeyed.set(merge, id)
  }
  return id
}

/**
 * The client's subscriptions: one server subscription per topic, ref-counted stores per
 * topic + filter, and the per-topic position that makes resume and dedup work.
 *
 * Guarantees, per topic: events reach each store in log order, each at most once (an event at
 * or before the position already applied in the same epoch is dropped), and a gap is never
 * silent: a `resync` moves the store to `resyncing`, calls `onResync(reason)`, and reloads the
 * store from the server snapshot or `load()`. With neither, the store keeps its data, goes
 * `live` again with `error: { code: 'STALE' }` so the app can show or fix the gap.
 */
export function createSubscriptions({
  send,
  isOpen,
  nextId,
  createStore,
  demand,
  timers,
}: SubscriptionsDeps) {
  const topics = new Map<string, ReturnType<typeof createTopic>>()
  // Commands awaiting their answer, by id: what an error answer does. A RATE_LIMITED or
  // UNAVAILABLE answer (not applied: a burst, or the server's engine is down) sends the command
  // again after `retryAfterMs` (when still meant and the connection is open), so subscribe,
  // setPresence and unsubscribe are not lost to it.
  const sent = new Map<string, (error: ErrorFrame) => void>()
  const retries = new Set<TimerHandle>()

  const command = (
    frame: ClientFrame & { id: string },
    retry: () => unknown,
    fail?: (error: ErrorFrame) => void,
  ) => {
    sent.set(frame.id, (error) => {
      if (!isRetryLater(error.code)) return fail?.(error)
      const timer = timers.setTimeout(() => {
        retries.delete(timer)
        if (isOpen()) retry()
      }, error.retryAfterMs ?? 1000)
      retries.add(timer)
    })
    send(frame)
  }
  const sendUnsubscribe = (topic: string): void =>
    command({ type: 'unsubscribe', id: nextId(), topic }, () => topics.has(topic) || sendUnsubscribe(topic))

  function createTopic(topic: string) {
    const entries = new Map<string, Entry>()
    /** The last event applied (or snapshot/resync point). Events at or before it are duplicates. */
    let position: Position | null = null
    /** The filter and presence flag the server subscription has, so a change resubscribes. */
    let serverKey: string | undefined
    /**
     * A snapshot frame is expected: asked for on a subscribe from the head (until its
     * `subscribed` says whether one follows), or announced by `subscribed.snapshot`.
     */
    let awaitingSnapshot = false
    /**
     * The last subscribe sent: where it resumed from (a `resync` may follow its `subscribed`); a
     * RATE_LIMITED retry of an older one is dropped.
     */
    let lastSubscribe: SubscribeFrame | undefined
    /** This connection's presence state on the topic, restated on every (re)subscribe. */
    let presence: JsonObject | null = null

    const each = () => [...entries.values()]
    // Filters and wishes are per store, but the server keeps one subscription per topic: the OR
    // of the filters (each store filters again locally), snapshot and presence if any wants them.
    const combinedFilter = () => {
      const filters = each().map((entry) => entry.filter)
      return filters.includes(undefined) ? undefined : filters[1] ? { or: filters as Filter[] } : filters[0]
    }
    const wantsPresence = () => each().some((entry) => entry.presence)
    // What the server subscription must look like: a change means subscribing again.
    const key = () => stableJson(combinedFilter()) + wantsPresence()

    const sendSubscribe = (fresh?: boolean) => {
      if (!isOpen()) return
      const snapshot = each().some((entry) => entry.handles.some((handle) => handle.snapshot))
      const frame: SubscribeFrame & { id: string } = {
        type: 'subscribe',
        id: nextId(),
        topic,
        filter: combinedFilter(),
        presence: wantsPresence() || undefined,
      }
      if (position && !awaitingSnapshot && !fresh) {
        frame.from = position
        if (snapshot) frame.snapshot = 'resync'
      } else if (snapshot) {
        // No usable position: start at the head, with the snapshot that makes the store whole.
        frame.snapshot = 'always'
        awaitingSnapshot = true
      }
      lastSubscribe = frame
      serverKey = key()
      command(
        frame,
        () => entries.size && lastSubscribe === frame && sendSubscribe(),
        (error) => halt('error', { code: error.code, message: error.message }),
      )
      // A (re)subscription starts without this connection's presence: state it again.
      if (presence) sendPresence()
    }

    // Sent again after RATE_LIMITED with the state of the moment, unless the topic was left meanwhile.
    const sendPresence = (): void =>
      command(
        { type: 'setPresence', id: nextId(), topic, state: presence },
        () => entries.size && sendPresence(),
      )

    // Nothing is live any more: the connection dropped (`connecting`: only live stores change, and
    // a snapshot still awaited stays wanted, asked for again from the head), the client closed
    // (`idle`), or the server refused or ended the subscription (`error`).
    const halt = (status: 'connecting' | 'idle' | 'error', error?: { code: ErrorCode; message: string }) => {
      const dropped = status === 'connecting'
      awaitingSnapshot &&= dropped
      for (const entry of each()) {
        if (!dropped || entry.$state.get().status === 'live') entry.setStatus(status, error)
      }
    }

    // One notification for the new data and `live`, not the data under the old status first.
    const reload = (entry: Entry, data: Json, at: Position | null) =>
      batch(() => {
        entry.setSnapshot(data, at)
        entry.setStatus('live')
      })

    const runLoad = (entry: Entry) => {
      const at = position
      const held: EventFrame[] = []
      const finish = (apply: () => void) => {
        // Overtaken by a newer load.
        if (entry.held !== held) return
        entry.held = null
        apply()
        entry.pushEvents(held)
      }
      entry.held = held
      entry.initial = false
      entry.setStatus('resyncing')
      entry.load!().then(
        (data) => finish(() => reload(entry, data, at)),
        (cause: unknown) =>
          finish(() =>
            entry.setStatus('error', {
              code: cause instanceof ClientError ? cause.code : 'STALE',
              message: `load() failed: ${String(cause)}`,
            }),
          ),
      )
    }

    // Confirmed: a store shows `live`, after its first `load()` if it has one.
    const start = (entry: Entry) => {
      if (entry.held) return
      if (entry.initial) runLoad(entry)
      else entry.setStatus('live')
    }
    const goLive = () => each().forEach(start)

    // One handler per topic frame type, named after it (`handle` below dispatches on `frame.type`).
    const handlers = {
      event(frame: EventFrame) {
        if (position?.epoch === frame.epoch && frame.seq <= position.seq) return
        position = positionOf(frame)
        // The hot path: the entries themselves, not the array copy `each()` makes.
        for (const entry of entries.values()) {
          if (entry.presence || entry.match?.(frame.meta) === false) continue
          if (entry.held) entry.held.push(frame)
          else entry.pushEvents([frame])
        }
      },
      subscribed(frame: SubscribedFrame) {
        if (!position || awaitingSnapshot) position = positionOf(frame)
        // The server says what follows in this flow (PROTOCOL.md § subscribed): wait exactly for
        // an announced resync or snapshot; with neither, only events (a replay, live ones) come.
        awaitingSnapshot = !!frame.snapshot
        if (!awaitingSnapshot && !frame.resync) goLive()
      },
      snapshot(frame: SnapshotFrame) {
        position = positionOf(frame)
        awaitingSnapshot = false
        for (const entry of each()) {
          if (entry.held) continue
          entry.initial = false
          reload(entry, frame.data, position)
        }
      },
      resync(frame: ResyncFrame) {
        position = positionOf(frame)
        for (const entry of each()) {
          entry.setStatus('resyncing')
          for (const { onResync } of entry.handles) onResync?.(frame.reason)
          if (entry.load) runLoad(entry)
          // `subscribed` (just before) said whether a snapshot follows; without one the store
          // keeps what it has, flagged.
          else if (!awaitingSnapshot) {
            entry.setStatus('live', {
              code: 'STALE',
              message: `could not replay missed events (${frame.reason})`,
            })
          }
        }
      },
      unsubscribed(frame: UnsubscribedFrame) {
        // Without a reason this answers our own unsubscribe of a topic used again since: ignore.
        if (frame.reason) halt('error', { code: frame.reason, message: 'ended by the server' })
      },
      presence(frame: PresenceFrame) {
        // Presence has no log position of its own: its frames are stamped with the topic's, so a
        // sync supersedes the join/update/leave events still queued before it.
        const at = position ?? { epoch: '0', seq: 0 }
        for (const entry of each()) {
          if (!entry.presence) continue
          if (frame.action === 'sync') entry.setSnapshot(frame.members as unknown as Json, at)
          else {
            entry.pushEvents([
              {
                type: 'event',
                topic,
                ...at,
                kind: frame.action,
                key: frame.member.connectionId,
                data: frame.member as unknown as Json,
                ts: timers.now(),
              },
            ])
          }
        }
      },
    }

    function join<TData>(options: SubscribeOptions<TData>): Subscription<TData> {
      // A store per filter, presence flag and strategy: the same topic can feed a `crud()` list
      // and a `presence()` member list, or two lists filtered differently.
      const storeKey = `${stableJson(options.filter)}|${!!options.presence}|${strategyId(options.merge)}`
      const first = !entries.size
      let entry = entries.get(storeKey)
      if (entry) entry.handles.push(options)
      else {
        entry = {
          ...options,
          ...createStore({ ...options, topic }),
          handles: [options],
          match: options.filter && compileFilter(options.filter),
          initial: !!options.load,
        }
        entries.set(storeKey, entry)
        entry.setStatus('connecting')
        // A second store asking for a snapshot: subscribe again from the head, for every store.
        if (!first && options.snapshot) sendSubscribe(true)
        else {
          // Confirmed and not waiting for anything: a second store can start now; otherwise the
          // coming `subscribed` (on this connection or the next) starts it.
          const live = isOpen() && position && !awaitingSnapshot
          // Seeded data that knows its position resumes after it instead of starting at the head.
          position ??= entry.$state.get().position
          // The first store, or a second filter: (widen the) subscription.
          if (key() !== serverKey) sendSubscribe()
          if (live) start(entry)
        }
      }
      const { $state, optimistic, handles } = entry
      let active = true
      return {
        $state,
        optimistic,
        unsubscribe() {
          if (!active) return
          active = false
          handles.splice(handles.indexOf(options), 1)
          if (handles.length) return
          entries.delete(storeKey)
          if (!entries.size) {
            topics.delete(topic)
            if (isOpen()) sendUnsubscribe(topic)
          } else if (key() !== serverKey) sendSubscribe()
        },
      }
    }

    return {
      join,
      sendSubscribe,
      handle: (frame: TopicFrame) => handlers[frame.type](frame as never),
      halt,
      setPresence(state: JsonObject | null) {
        presence = state
        sendPresence()
      },
    }
  }

  // The connection is gone (or with `closed`, the client): answers to the commands sent will not
  // come; a reconnect restates presence and has no subscriptions to end.
  const stop = (closed?: boolean) => {
    sent.clear()
    for (const timer of retries) timers.clearTimeout(timer)
    retries.clear()
    for (const state of topics.values()) state.halt(closed ? 'idle' : 'connecting')
  }

  return {
    subscribe<TData>(topic: string, options: SubscribeOptions<TData>): Subscription<TData> {
      if (
        typeof process !== 'undefined' &&
        process.env.NODE_ENV !== 'production' &&
        !isValidTopic(topic, Number.MAX_SAFE_INTEGER)
      ) {
        throw new ClientError(
          'BAD_REQUEST',
          `subscribe: topic must be a non-empty string of [A-Za-z0-9._~:@/+=-], received ${JSON.stringify(topic)}`,
        )
      }
      let state = topics.get(topic)
      if (!state) {
        state = createTopic(topic)
        topics.set(topic, state)
      }
      const subscription = state.join(options)
      demand()
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

    /** Resubscribes every topic from its position, on a new or switched connection. */
    onOpen(): void {
      for (const state of topics.values()) state.sendSubscribe()
    },
    onDrop: () => stop(),
    onClosed: () => stop(true),

    /** Routes a topic frame or the answer to a command; false when the frame is not for this layer. */
    handle(frame: ServerFrame): boolean {
      const id = (frame as { id?: string }).id as string
      const answer = sent.get(id)
      sent.delete(id)
      if (frame.type === 'error' || frame.type === 'ack') {
        if (answer && frame.type === 'error') answer(frame)
        return !!answer
      }
      if (!('topic' in frame)) return false
      topics.get(frame.topic)?.handle(frame as TopicFrame)
      return true
    },
  }
}

export type Subscriptions = ReturnType<typeof createSubscriptions>
