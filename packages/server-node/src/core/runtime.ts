import type { EventFrame } from '@sluice/protocol'
import type { Engine, LostEvents } from '../engine/types'
import type { Logger } from '../observability/logger'
import type { ServerMetrics } from '../observability/metrics'
import type { ErrorContext, ResolvedOptions, SluiceServerOptions } from '../options'
import type { SluiceServer } from '../server-types'
import type { Hub } from './hub'
import type { Publisher } from './publish'
import type { ConnectionRegistry } from './registry'
import type { TimerHeap } from './timer-heap'
import type { TopicWatches } from './topic-watches'

/**
 * Observers of the event stream beside the hub, set by the server's streams of work (effects,
 * derived topics). Each is called synchronously where the event passes, so it must only queue.
 */
export interface EventTaps {
  /** Each event appended through this node's Publisher (once per deployment). */
  appended?(event: EventFrame): void
  /** Each event the engine delivers to this node (every node watching the topic). */
  event?(event: EventFrame): void
  /** A watched topic lost events on the way to this node. */
  lost?(topic: string, lost: LostEvents): void
}

/** The app's hooks, as given in the options. */
export type Hooks = Pick<
  SluiceServerOptions,
  'onConnect' | 'onDisconnect' | 'onSubscribe' | 'onUnsubscribe' | 'onError'
>

/** Everything a connection and the command handlers share: one per server. */
export interface Runtime {
  readonly options: ResolvedOptions
  readonly engine: Engine
  readonly hub: Hub
  readonly publisher: Publisher
  readonly registry: ConnectionRegistry
  /** The engine's watches, counted: the hub's subscribers and the derived topics' sources share them. */
  readonly watches: TopicWatches
  readonly taps: EventTaps
  /** One timer for every connection's heartbeat and idle check. */
  readonly timers: TimerHeap
  readonly logger: Logger
  readonly metrics: ServerMetrics
  readonly server: SluiceServer
  /** Running totals for stats(). */
  readonly counters: { delivered: number }
  now(): number
  /** Reports an unexpected error: onError hook plus an error log line. Never throws. */
  report(error: unknown, context: ErrorContext): void
  /** Whether the app set this hook (callers skip building its arguments otherwise). */
  hasHook(name: keyof Hooks): boolean
  /** Runs a hook, reporting (never propagating) its failure, sync or async. */
  runHook<K extends Exclude<keyof Hooks, 'onError'>>(
    name: K,
    ...args: Parameters<NonNullable<Hooks[K]>>
  ): void
  /** True once close() was called: no new connections. */
  readonly closing: boolean
}
