import type {
  ClientFrame,
  ErrorCode,
  EventFrame,
  Filter,
  Json,
  Position,
  PresenceFrame,
  ResyncFrame,
  ResyncReason,
  SnapshotFrame,
  SubscribedFrame,
} from '@sluice/protocol'
import { batch } from 'nanostores'
import type { AwaitedAnswers } from './awaited-answers'
import type { ClientError } from './client-error'
import type { TopicFrame } from './frame-router'
import { createServerSubscription } from './server-subscription'
import { stableJson } from './stable-json'
import type { SubscriptionStatus } from './store/types'
import { createStoreEntry, type StoreEntry } from './store-entry'
import { createStoreHistory, type StoreHistory } from './store-history'
import type { StoreFactory, SubscribeOptions, Subscription } from './subscriptions'
import { createTopicPosition } from './topic-position'

export interface TopicDeps {
  answers: AwaitedAnswers
  send(frame: ClientFrame): void
  isOpen(): boolean
  nextId(): string
  createStore: StoreFactory
  now(): number
  /** The topic's last store left: the server subscription is to be ended. */
  onEmpty(): void
}

const unkeyed = new WeakMap<object, string>()
let unkeyedCount = 0

/**
 * What a topic's subscriptions share a store by: the filter (as stable JSON), the presence flag
 * and the merge strategy (its `key`, else the object itself: a strategy without a `key` shares
 * a store only with itself). Subscriptions of one topic with equal keys get one store; the
 * bindings' caches key by it (with the topic) to find that store.
 */
export function storeKey(options: SubscribeOptions<unknown>): string {
  const { merge } = options
  let id = merge.key ?? unkeyed.get(merge)
  if (id === undefined) {
    id = `#${++unkeyedCount}`
    unkeyed.set(merge, id)
  }
  return `${stableJson(options.filter)}|${!!options.presence}|${id}`
}

/**
 * One topic of the client: its position (resume and dedup), its server subscription, and its
 * stores, one per filter, presence flag and strategy. Every frame of the topic is handled here,
 * one handler per frame type.
 *
 * Guarantees: events reach each store in log order, each at most once, and a gap is never
 * silent: a `resync` (or an event of an unannounced epoch) moves the stores to `resyncing`,
 * calls `onResync(reason)`, flags the data `stale` and reloads it from the server's snapshot or
 * `load()`. With neither, the store keeps its data and goes on, `stale` until the app reloads it.
 */
export function createTopic(topic: string, deps: TopicDeps) {
  const entries = new Map<string, StoreEntry>()
  // The older pages of each store (`loadMore`).
  const histories = new Map<StoreEntry, StoreHistory>()
  const position = createTopicPosition()
  // The app asked for a reload (`client.resync`): the next subscribe asks for a snapshot.
  let reload = false

  const each = () => [...entries.values()]
  const eventStores = () => each().filter((entry) => !entry.presence)

  const server = createServerSubscription(topic, {
    ...deps,
    // Filters and wishes are per store, but the server keeps one subscription per topic: the OR
    // of the filters (each store filters again locally), snapshot and presence if any wants them.
    wish() {
      const filters = each().map((entry) => entry.handles[0]!.filter)
      return {
        filter: filters.includes(undefined)
          ? undefined
          : filters[1]
            ? { or: filters as Filter[] }
            : filters[0],
        presence: each().some((entry) => entry.presence),
        snapshot: reload || each().some((entry) => entry.handles.some((handle) => handle.snapshot)),
        rewind: Math.max(0, ...each().flatMap((entry) => entry.handles.map((handle) => handle.rewind ?? 0))),
      }
    },
    position: position.get,
    onSubscribed(frame: SubscribedFrame, resumed: boolean) {
      reload = false
      // A fresh subscription's state starts at the head, or before the events it rewinds; when a
      // snapshot follows, at the snapshot.
      if (!resumed && !frame.snapshot) {
        position.set({ epoch: frame.epoch, seq: frame.seq - (frame.rewind ?? 0) })
        // Built from the events after that point alone, a store can page back from it.
        for (const entry of eventStores()) pageFrom(entry, entry.load ? null : position.get())
      }
      if (frame.snapshot) for (const entry of eventStores()) pageFrom(entry, null)
      if (server.phase === 'live') each().forEach(settle)
    },
    onRefused({ code, message }) {
      fail(code, message)
    },
  })

  // Where a store's older pages start (null: it cannot page, its state holds the past or a gap).
  const pageFrom = (entry: StoreEntry, at: Position | null) => {
    histories.get(entry)?.startAt(at)
  }

  // What a store shows once its loader is done: live while the server subscription delivers.
  const afterLoad = (): SubscriptionStatus =>
    server.phase === 'live' || server.phase === 'resubscribing' ? 'live' : 'connecting'

  /** The server subscription is live: a store shows it, after its first `load()` when it has one. */
  const settle = (entry: StoreEntry) => {
    if (entry.held) return
    if (!entry.loaded) entry.runLoad(position.get(), afterLoad)
    else entry.transition('live')
  }

  const fail = (code: ErrorCode, message: string) => {
    for (const entry of each()) entry.transition('error', { code, message })
  }

  /** The store's data misses events: it shows `resyncing` and `stale` together, and its handles hear why. */
  const startResync = (entry: StoreEntry, reason: ResyncReason) => {
    batch(() => {
      entry.transition('resyncing')
      entry.store.setStale(reason)
    })
    for (const { onResync } of entry.handles) onResync?.(reason)
  }

  /** The stores' data misses events (`reason`): reload what can be, flag the rest. */
  const gap = (reason: ResyncReason, snapshotFollows: boolean) => {
    for (const entry of eventStores()) {
      pageFrom(entry, null)
      startResync(entry, reason)
      if (entry.load) entry.runLoad(position.get(), afterLoad)
      else if (!snapshotFollows) entry.transition('live')
    }
  }

  const handlers = {
    event(frame: EventFrame) {
      const verdict = position.accept(frame)
      if (verdict === 'seen') return
      if (verdict === 'foreign') {
        // The log was replaced and nothing said so (PROTOCOL.md § Client dedup rule): a resync.
        // The state is discarded and the stores are filled again from the head.
        position.set(null)
        for (const entry of eventStores()) {
          pageFrom(entry, null)
          startResync(entry, 'epoch_changed')
          if (entry.load) entry.loaded = false
        }
        server.restart()
        return
      }
      // The hot path: the entries themselves, not the array copy `each()` makes.
      for (const entry of entries.values()) entry.push(frame)
    },
    snapshot(frame: SnapshotFrame) {
      server.arrived('snapshot')
      position.set(frame)
      const status = server.phase === 'live' ? 'live' : 'connecting'
      // A store whose own load() runs is left to it.
      for (const entry of eventStores()) {
        if (!entry.held) entry.fill(frame.data, position.get(), status)
      }
    },
    resync(frame: ResyncFrame) {
      server.arrived('resync')
      const snapshotFollows = server.phase === 'snapshot-follows'
      // A position a snapshot is still to fill is none to resume from: a drop before it arrives
      // must ask for the snapshot again.
      position.set(snapshotFollows ? null : frame)
      gap(frame.reason, snapshotFollows)
    },
    unsubscribed({ reason }: { reason?: ErrorCode }) {
      // Without a reason it answers our own unsubscribe, which the router hands to its command.
      if (!reason) return
      server.ended()
      fail(reason, `the server ended the subscription to ${topic}`)
    },
    presence(frame: PresenceFrame) {
      // Presence has no log position of its own: its frames are stamped with the topic's, so a
      // sync supersedes the join/update/leave events still queued before it.
      const at = position.get() ?? { epoch: '0', seq: 0 }
      for (const entry of each()) {
        if (!entry.presence) continue
        if (frame.action === 'sync') entry.store.setSnapshot(frame.members as unknown as Json, at)
        else {
          entry.store.pushEvents([
            {
              type: 'event',
              topic,
              ...at,
              kind: frame.action,
              key: frame.member.connectionId,
              data: frame.member as unknown as Json,
              ts: deps.now(),
            },
          ])
        }
      }
    },
  }

  function join<TData>(options: SubscribeOptions<TData>): Subscription<TData> {
    // A store per filter, presence flag and strategy: the same topic can feed a `crud()` list
    // and a `presence()` member list, or two lists filtered differently.
    const key = storeKey(options as SubscribeOptions<unknown>)
    let entry = entries.get(key)
    if (entry) entry.handles.push(options as SubscribeOptions<unknown>)
    else {
      const store = deps.createStore({ ...options, topic })
      const created = createStoreEntry(topic, options as SubscribeOptions<unknown>, store)
      entry = created
      entries.set(key, entry)
      // The page passes the store's own filter: the server filters by the OR of the topic's.
      const pushOlder = (events: readonly EventFrame[]) =>
        store.pushOlder(events.filter((event) => created.match?.(event.meta) !== false))
      const pages = options.merge.older !== undefined && !options.presence
      histories.set(entry, createStoreHistory(topic, pages ? pushOlder : null, deps))
      entry.transition('connecting')
      // Seeded data that knows its position resumes after it instead of starting at the head.
      if (!position.get()) position.set(store.$state.get().position)
      const wasLive = server.phase === 'live'
      if (server.phase === 'refused') {
        // Asked again by the app: every store of the topic tries again.
        for (const other of each()) other.transition('connecting')
        server.subscribe()
      }
      // A second store asking for a snapshot: subscribe again from the head, for every store.
      else if (entries.size > 1 && options.snapshot) server.restart()
      else server.update()
      // Joining a live topic whose subscription continues from the position: start now.
      if (wasLive && !server.restarting) {
        settle(entry)
        if (!entry.presence && !entry.load && !options.snapshot) pageFrom(entry, position.get())
      }
    }
    const { store: joined, handles } = entry
    const history = histories.get(entry) as StoreHistory
    let active = true
    return {
      $state: joined.$state as Subscription<TData>['$state'],
      optimistic: joined.optimistic,
      $history: history.$history,
      loadMore: history.loadMore,
      unsubscribe() {
        if (!active) return
        active = false
        handles.splice(handles.indexOf(options as SubscribeOptions<unknown>), 1)
        if (handles.length) return
        entries.delete(key)
        histories.delete(entry)
        if (entries.size) server.update()
        else {
          server.leave()
          deps.onEmpty()
        }
      },
    }
  }

  return {
    join,
    handle(frame: TopicFrame): void {
      // The flow a subscribe from the head replaces no longer counts: its frames are dropped.
      if (
        server.restarting &&
        (frame.type === 'event' || frame.type === 'snapshot' || frame.type === 'resync')
      )
        return
      handlers[frame.type](frame as never)
    },
    setPresence: server.setPresence,
    /** Reloads every store: from its `load()`, else from a snapshot of a subscribe from the head. */
    resync(): void {
      reload = true
      for (const entry of eventStores()) {
        if (entry.load) entry.loaded = false
        entry.transition('resyncing')
      }
      server.restart()
    },
    /** A connection opened (or replaced the last one): subscribe from the position. */
    open(): void {
      if (server.phase !== 'refused') server.subscribe()
    },
    /** The connection is gone: live stores wait for the next one; loads and awaited snapshots stay. */
    drop(): void {
      server.drop()
      for (const entry of each()) {
        if (entry.status === 'live') entry.transition('connecting')
      }
    },
    /** The client closed: with the terminal error that closed it, or idle after `close()`. */
    close(error: ClientError | null): void {
      server.drop()
      for (const entry of each()) {
        entry.held = null
        if (error) entry.transition('error', { code: error.code, message: error.message })
        else entry.transition('idle')
      }
    },
  }
}

export type Topic = ReturnType<typeof createTopic>
