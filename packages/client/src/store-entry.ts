import {
  compileFilter,
  type ErrorCode,
  type EventFrame,
  type FilterPredicate,
  type Json,
  type Position,
} from '@sluice/protocol'
import { batch } from 'nanostores'
import { ClientError } from './client-error'
import type { SubscriptionStore } from './store/subscription-store'
import type { SubscriptionStatus } from './store/types'
import type { SubscribeOptions } from './subscriptions'

/**
 * The moves a store's status may make. A store starts `connecting`; `live` and `resyncing`
 * follow from what the server subscription does; `error` is left only by the app (subscribing
 * again, `client.resync`) or the close of the client; `idle` (closed) is final. So a `load()`
 * that settles after the client closed, or a reconnect of a topic whose load failed, cannot
 * make a store look live.
 */
const TRANSITIONS: Record<SubscriptionStatus, readonly SubscriptionStatus[]> = {
  idle: ['connecting'],
  connecting: ['live', 'resyncing', 'error', 'idle'],
  live: ['connecting', 'resyncing', 'error', 'idle'],
  resyncing: ['live', 'connecting', 'error', 'idle'],
  error: ['connecting', 'resyncing', 'idle'],
}

/** True when the table allows `from → to`. */
export const canMove = (from: SubscriptionStatus, to: SubscriptionStatus): boolean =>
  TRANSITIONS[from].includes(to)

type AnyOptions = SubscribeOptions<unknown>

/**
 * One store of a topic and what the client tracks for it: the stores of a topic share its
 * server subscription and position, and differ in filter, strategy, presence and loader.
 * Created by the first `subscribe` with its topic, filter, presence flag and strategy; later
 * ones with the same add a handle.
 *
 * @param topic names the loader in its errors
 * @param options the options of the subscribe that created it (its filter, presence flag, loader)
 */
export function createStoreEntry(topic: string, options: AnyOptions, store: SubscriptionStore<unknown>) {
  // Presence stores are fed by presence frames: no events, snapshots or loader.
  const presence = !!options.presence
  const load = presence ? undefined : options.load

  const entry = {
    store,
    presence,
    /** Checked against every event's `meta` (the server sends the OR of the topic's filters). */
    match: options.filter && (compileFilter(options.filter) as FilterPredicate),
    /** The options of every open handle (`onResync`, `snapshot`); the last one leaving ends the store. */
    handles: [options],
    /** The store holds state to build on: false until its `load()` first ran (or a snapshot came). */
    loaded: !load,
    /** Events held back while `load()` runs, applied on top of its result; null when none runs. */
    held: null as EventFrame[] | null,

    get status(): SubscriptionStatus {
      return store.$state.get().status
    },

    /**
     * Moves the status (and sets the error that goes with it, null unless given) when the table
     * allows it. Every status change of the client's stores goes through here.
     */
    transition(to: SubscriptionStatus, error: { code: ErrorCode; message: string } | null = null): boolean {
      const from = entry.status
      if (from !== to && !canMove(from, to)) return false
      store.setStatus(to, error)
      return true
    },

    /** An event of the topic that passed dedup: this store's, unless filtered out. */
    push(event: EventFrame): void {
      if (presence || entry.match?.(event.meta) === false) return
      if (entry.held) entry.held.push(event)
      else store.pushEvents([event])
    },

    /**
     * Replaces the data (a snapshot, or a load result) and shows `status` in the same
     * notification, so no listener sees the new data under the old status.
     */
    fill(data: Json, at: Position | null, status: SubscriptionStatus): void {
      batch(() => {
        store.setSnapshot(data, at)
        entry.loaded = true
        entry.transition(status)
      })
    },

    /**
     * Runs `load()` (the store shows `resyncing` meanwhile) and replaces the data with its result,
     * at `at`, the position when it was called; events arriving meanwhile apply on top. A newer
     * run (a resync during this one) overtakes it. `status` says what the store shows after it.
     */
    runLoad(at: Position | null, status: () => SubscriptionStatus): void {
      const held: EventFrame[] = []
      const finish = (apply: () => void) => {
        if (entry.held !== held) return
        entry.held = null
        apply()
        store.pushEvents(held)
      }
      entry.held = held
      entry.transition('resyncing')
      ;(load as () => Promise<Json>)().then(
        (data) => finish(() => entry.fill(data, at, status())),
        (cause: unknown) =>
          finish(() =>
            entry.transition('error', {
              code: cause instanceof ClientError ? cause.code : 'STALE',
              message: `load() of ${topic} failed: ${String(cause)}`,
            }),
          ),
      )
    },

    load,
  }
  return entry
}

export type StoreEntry = ReturnType<typeof createStoreEntry>
