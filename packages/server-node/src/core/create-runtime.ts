import { createMemoryEngine } from '../engine/memory'
import type { IdentityMessage } from '../engine/types'
import { createLogger } from '../observability/logger'
import { createMetrics } from '../observability/metrics'
import { type ErrorContext, resolveOptions, type SluiceServerOptions } from '../options'
import type { SluiceServer } from '../server-types'
import { runSseCommands } from '../transports/sse-commands'
import type { Connection } from './connection'
import { Hub } from './hub'
import { dispatchPresenceChange } from './presence'
import { Publisher } from './publish'
import { ConnectionRegistry } from './registry'
import type { EventTaps, Hooks, Runtime } from './runtime'
import { TimerHeap } from './timer-heap'
import { TopicWatches } from './topic-watches'

/** A runtime plus what its owner needs to shut it down. */
export interface RuntimeHandle {
  runtime: Runtime
  /** Marks the server as closing: connects are refused from now on. */
  setClosing(): void
  /** Detaches from the engine and closes it if the runtime created it. */
  dispose(): Promise<void>
}

/**
 * Builds the shared state of one server from its options and wires the engine's notifications
 * (events, presence, identity messages) to the hub and the connections. Transports and
 * `createSluiceServer` sit on top; unit tests drive connections against it with a fake sink.
 */
export function createRuntime(options: SluiceServerOptions, getServer: () => SluiceServer): RuntimeHandle {
  const resolved = resolveOptions(options)
  const ownEngine = options.engine === undefined
  const engine = options.engine ?? createMemoryEngine()
  const { rules } = resolved
  if (rules.hasRetention) {
    if (engine.configureRetention === undefined) {
      throw new TypeError('rules set `history` but this engine cannot keep a retention per topic')
    }
    engine.configureRetention((topic) => rules.retention(topic))
  }
  const logger = createLogger(options.logger)
  // Off unless asked for: counting every delivery costs CPU that nobody reads.
  const metrics = createMetrics(options.metrics ?? false)
  const hooks: Hooks = options
  const now = () => Date.now()
  const counters = { delivered: 0 }
  const watches = new TopicWatches(engine)
  const taps: EventTaps = {}
  // Counted once per event for all its subscribers, not once per delivery.
  const hub = new Hub({
    engine: watches,
    onDelivered: (count) => {
      counters.delivered += count
      metrics.eventsDelivered(count)
    },
  })
  const registry = new ConnectionRegistry()
  let closing = false

  const report = (error: unknown, context: ErrorContext): void => {
    logger.error(
      { err: error, ...context, identity: context.identity?.id },
      `sluice: ${context.operation} failed`,
    )
    try {
      hooks.onError?.(error, context)
    } catch (hookError) {
      logger.error({ err: hookError }, 'sluice: onError hook threw')
    }
  }

  const timers = new TimerHeap(now, (error) => report(error, { operation: 'timer' }))

  const publisher = new Publisher({
    engine,
    coalesceMs: resolved.coalesceMs,
    dedupWindow: resolved.dedupWindow,
    now,
    onAppended: (event) => {
      metrics.eventPublished(event.topic)
      taps.appended?.(event)
    },
  })

  const runtime: Runtime = {
    options: resolved,
    engine,
    hub,
    publisher,
    registry,
    watches,
    taps,
    timers,
    logger,
    metrics,
    counters,
    get server() {
      return getServer()
    },
    get closing() {
      return closing
    },
    now,
    report,
    hasHook: (name) => hooks[name] !== undefined,
    runHook(name, ...args) {
      const hook = hooks[name] as ((...a: typeof args) => unknown) | undefined
      if (!hook) return
      const connectionId = (args[0] as { id?: string } | undefined)?.id
      try {
        const result = hook(...args)
        if (result instanceof Promise)
          result.catch((error) => report(error, { operation: `hook:${name}`, connectionId }))
      } catch (error) {
        report(error, { operation: `hook:${name}`, connectionId })
      }
    },
  }

  const stopListening = engine.subscribe({
    event(event) {
      try {
        hub.dispatch(event)
        taps.event?.(event)
      } catch (error) {
        report(error, { operation: 'dispatch', topic: event.topic })
      }
    },
    presence(change) {
      try {
        dispatchPresenceChange(hub, change)
      } catch (error) {
        report(error, { operation: 'presence', topic: change.topic })
      }
    },
    lost(topic, lost) {
      try {
        hub.dispatchLost(topic, lost)
        taps.lost?.(topic, lost)
      } catch (error) {
        report(error, { operation: 'dispatch', topic })
      }
    },
    sseCommands: (request) => runSseCommands(runtime, request),
    identity(identityId, message) {
      for (const connection of registry.ofIdentity(identityId)) deliverMessage(connection, message)
    },
    connection(connectionId, message) {
      const connection = registry.get(connectionId)
      if (connection !== undefined) deliverMessage(connection, message)
    },
  })

  return {
    runtime,
    setClosing: () => {
      closing = true
    },
    dispose: async () => {
      stopListening()
      if (ownEngine) await engine.close()
    },
  }
}

/** A frame to send, or a close to make, on one connection (from the identity or connection routes). */
export function deliverMessage(connection: Connection, message: IdentityMessage): void {
  if (message.type === 'frame') connection.sendFrame(message.frame)
  else connection.closeWithError(message.code, message.message)
}
