import type { ErrorCode, EventFrame, Json, Position, ResyncReason } from '@sluice/protocol'
import type { ReadableAtom } from 'nanostores'

/**
 * Where a subscription stands. `live` means the store receives every event as it happens;
 * `resyncing` means a gap was detected and the store is being reloaded; `error` that it will
 * not go live without the app's help (refused, ended by the server, a failed `load()`, the
 * client stopped by a terminal error); `idle` that nothing is subscribed (the client closed).
 */
export type SubscriptionStatus = 'idle' | 'connecting' | 'live' | 'resyncing' | 'error'

/** What a subscription store holds. */
export interface SubscriptionState<TData> {
  data: TData
  status: SubscriptionStatus
  /** Why this subscription will not go live (FORBIDDEN, a failed loader...); null while it can. */
  error: { code: ErrorCode; message: string } | null
  /**
   * The data may miss events: the server could not replay them (`too_old`, `epoch_changed`,
   * `ahead`) and neither a snapshot nor `load()` has refilled the store since. The store keeps
   * what it has and goes on applying events; a snapshot or a `load()` result clears it (see
   * `client.resync(topic)`). Null when the data is whole.
   */
  stale: ResyncReason | null
  /** The position of the last event applied, or null before the first. */
  position: Position | null
}

/**
 * How events become state. Strategies are pure: `apply` returns a new state object when
 * something changed and the same reference when nothing did, so stores notify only on change.
 */
export interface MergeStrategy<TData> {
  /** The state before any event or snapshot. */
  initial(): TData
  /** Applies a batch of events, in order. The store reuses the array afterwards: do not keep it. */
  apply(state: TData, events: readonly EventFrame[]): TData
  /**
   * Turns snapshot data (from the server or a loader) into state. @default the data as is
   *
   * The data is JSON on the wire; it is typed `unknown` so an app can pass its own server-rendered
   * data (`Todo[]` of an `interface Todo`, which the `Json` type refused for lack of an index
   * signature) when it seeds a store; a strategy checks the shape it reads.
   */
  fromSnapshot?(data: unknown): TData
  /**
   * Merges events older than every event applied so far (a page `loadMore()` read back from the
   * log), in log order, under the state; without it the store cannot page. `newer` holds the
   * `key` of every event the store applied since its state started, deletes included: an older
   * event of such a key is superseded and must change nothing.
   */
  older?(state: TData, events: readonly EventFrame[], newer: ReadonlySet<string>): TData
  /**
   * Names what this strategy does, options included (`crud()` and another `crud()` with the same
   * options are equal). Subscriptions of one topic and filter share a store only when their
   * strategies have the same `key`; a strategy without one shares only with itself.
   */
  key?: string
}

/** Decides when queued inbound events are applied: one flush per tick or per animation frame. */
export interface Scheduler {
  schedule(flush: () => void): void
}

/**
 * The store side of one subscription, written by the connection layer. The connection layer
 * owns positions and dedup (every event it pushes is new and in order); the store owns
 * merging, batching and optimistic state.
 */
export interface SubscriptionSink<TData> {
  readonly $state: ReadableAtom<SubscriptionState<TData>>
  /** Queues events for the next flush; the store notifies once per flush. */
  pushEvents(events: readonly EventFrame[]): void
  /**
   * Replaces the state with a snapshot at `position`; queued events at or before it are dropped.
   * The data is whole again: `stale` is cleared.
   */
  setSnapshot(data: Json, position: Position | null): void
  setStatus(status: SubscriptionStatus, error?: { code: ErrorCode; message: string } | null): void
  /** Flags the data as missing events since a resync with this reason (null clears the flag). */
  setStale(reason: ResyncReason | null): void
}

/**
 * A local change shown before the server confirms it: an event without a log position.
 * The store drops it when the server's event with the same `publishId` arrives — or, when
 * no `publishId` is set, the next event with the same `key` and `kind`.
 */
export interface OptimisticEvent {
  kind: EventFrame['kind']
  key?: string
  data?: Json
  meta?: EventFrame['meta']
  /** The id the publish was sent with; the confirmed event carries it back. */
  publishId?: string
}
