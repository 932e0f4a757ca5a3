import type { Engine } from '../engine/types'
import type { Logger } from '../observability/logger'
import type { ServerMetrics } from '../observability/metrics'
import type { ErrorContext, ResolvedOptions, SluiceServerOptions } from '../options'
import type { SluiceServer } from '../server-types'
import type { Hub } from './hub'
import type { Publisher } from './publish'
import type { ConnectionRegistry } from './registry'
import type { TimerHeap } from './timer-heap'

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
