import type { EventFrame } from '@sluice/protocol'
import type { Runtime } from '../core/runtime'
import { compilePattern, type NamePattern } from '../permissions/pattern'
import { ServerError } from '../server-error'
import type { SluiceServer } from '../server-types'

/** Reacts to an appended event: write an audit line, call a webhook, enqueue a job. */
export type EffectHandler = (event: EventFrame, context: { server: SluiceServer }) => unknown

/** Options of {@link SluiceServer.onPublish}. */
export interface EffectOptions {
  /**
   * Events waiting for this handler at most; past it new events are dropped for it (reported
   * to onError as OVERLOADED, once per burst, with the count when the burst ends).
   * @default 10_000
   */
  maxQueue?: number
}

/** An effect as the `effects` option takes it. */
export interface EffectDefinition extends EffectOptions {
  /** A topic pattern, as in rules: `audit:*`, `orders:**`, `todos`. */
  topic: string
  handler: EffectHandler
}

const DEFAULT_MAX_QUEUE = 10_000

/**
 * One handler and its queue. The publish path only pushes the event here; the handler runs
 * later, one event at a time and in append order, so a slow handler delays its own events and
 * nothing else.
 */
class Effect {
  readonly #queue: EventFrame[] = []
  #draining: Promise<void> | undefined
  #dropped = 0
  removed = false

  constructor(
    readonly pattern: NamePattern,
    readonly handler: EffectHandler,
    readonly maxQueue: number,
    readonly runtime: Runtime,
  ) {}

  offer(event: EventFrame): void {
    if (this.#queue.length >= this.maxQueue) {
      if (this.#dropped === 0) {
        this.#report(
          new ServerError(
            'OVERLOADED',
            `effect ${this.pattern.source}: ${this.maxQueue} events are waiting; dropped ${event.topic}@${event.epoch}:${event.seq} and drops the next until the handler catches up`,
            { topic: event.topic },
          ),
          event.topic,
        )
      }
      this.#dropped++
      return
    }
    this.#queue.push(event)
    // setImmediate, not a microtask: the publish that appended the event resolves and fans out
    // first, whatever the handler does.
    this.#draining ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#drain())
  }

  /** Resolves once the queue is empty (on close). */
  async idle(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining
  }

  async #drain(): Promise<void> {
    for (let event = this.#queue.shift(); event !== undefined; event = this.#queue.shift()) {
      if (this.removed) break
      try {
        await this.handler(event, { server: this.runtime.server })
      } catch (error) {
        this.#report(error, event.topic)
      }
      if (this.#dropped > 0 && this.#queue.length < this.maxQueue) {
        this.#report(
          new ServerError(
            'OVERLOADED',
            `effect ${this.pattern.source}: dropped ${this.#dropped} events while its queue was full`,
          ),
          event.topic,
        )
        this.#dropped = 0
      }
    }
    this.#queue.length = 0
    this.#draining = undefined
  }

  #report(error: unknown, topic: string): void {
    this.runtime.report(error, { operation: `effect:${this.pattern.source}`, topic })
  }
}

/** Every effect of one server: `onPublish` registrations, fed by each append on this node. */
export class Effects {
  readonly #effects = new Set<Effect>()
  readonly #runtime: Runtime

  constructor(runtime: Runtime) {
    this.#runtime = runtime
  }

  /**
   * Registers a handler for the events appended on this node to topics matching `pattern`.
   * @returns removes the handler (events already queued for it are dropped)
   * @throws TypeError for a bad pattern, a `{sub}` placeholder, or a bad maxQueue
   */
  add(pattern: string, handler: EffectHandler, options: EffectOptions = {}): () => void {
    const compiled = compilePattern(pattern, ':')
    if (compiled.hasSub) {
      throw new TypeError(
        `onPublish ${JSON.stringify(pattern)}: {sub} names a caller, and effects have none; use * for the segment`,
      )
    }
    if (typeof handler !== 'function') {
      throw new TypeError(`onPublish ${JSON.stringify(pattern)}: the handler must be a function`)
    }
    const { maxQueue = DEFAULT_MAX_QUEUE } = options
    if (!Number.isInteger(maxQueue) || maxQueue < 1) {
      throw new RangeError(
        `onPublish ${JSON.stringify(pattern)}: maxQueue must be an integer ≥ 1, received ${maxQueue}`,
      )
    }
    const effect = new Effect(compiled, handler, maxQueue, this.#runtime)
    this.#effects.add(effect)
    return () => {
      effect.removed = true
      this.#effects.delete(effect)
    }
  }

  /** The Publisher's append hook: a pattern test and a push per effect, nothing awaited. */
  appended(event: EventFrame): void {
    for (const effect of this.#effects) {
      if (effect.pattern.match(event.topic) !== undefined) effect.offer(event)
    }
  }

  /** Resolves once every handler has worked off its queue. */
  async idle(): Promise<void> {
    await Promise.all([...this.#effects].map((effect) => effect.idle()))
  }
}
