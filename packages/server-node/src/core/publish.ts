import type { EventFrame, Position } from '@sluice/protocol'
import type { DedupOptions, Engine, EventInput } from '../engine/types'
import type { PublishInput } from '../server-types'
import { type Pace, PublishPacer } from './publish-pacing'

/** Where a publish landed; `duplicate` when an earlier publish with the same id already did. */
export interface PublishOutcome extends Position {
  duplicate: boolean
}

export interface PublisherOptions {
  engine: Engine
  coalesceMs: number
  dedupWindow: { size: number; ms: number }
  now: () => number
  /** Called after each append (metrics). */
  onAppended?: (event: EventFrame) => void
}

interface Held {
  count: number
  queue: Array<() => void>
}

/** How a publish is paced: see {@link PublishPacer}. */
export interface PublishPacing {
  /** Trailing, within the server's `coalesceMs` window. */
  coalesceKey?: string
  /** Leading and trailing: at most one append per `ms` for the key. */
  throttle?: { key: string; ms: number }
  /** Trailing: appended once `ms` passed without another publish with the key. */
  debounce?: { key: string; ms: number }
}

/**
 * The write path of every publish (server API, client frames, HTTP):
 * - appends in call order, so publish order is seq order;
 * - holds a topic's publishes while a snapshot of it is taken ({@link hold}), so the snapshot's
 *   position is exact (the engine holds the other nodes' publishes);
 * - makes retries idempotent by (scope, topic, id) within a bounded window, through the engine,
 *   so a retry that reaches another node is applied once too;
 * - collapses publishes with the same coalesce key within `coalesceMs` into the last one, and
 *   throttles or debounces publishes per key ({@link PublishPacer}).
 */
export class Publisher {
  readonly #engine: Engine
  readonly #options: PublisherOptions
  readonly #held = new Map<string, Held>()
  readonly #pacer = new PublishPacer((topic, input, id, scope) => this.#publishOnce(topic, input, id, scope))
  #published = 0

  constructor(options: PublisherOptions) {
    this.#engine = options.engine
    this.#options = options
  }

  get published(): number {
    return this.#published
  }

  /**
   * Publishes one event.
   * @param scope who the id belongs to (an identity id): ids of different publishers never collide
   * @returns the position, or null when a later publish with the same coalesce, throttle or debounce key replaced it
   */
  publish(
    topic: string,
    input: PublishInput,
    options: PublishPacing & { id?: string; scope?: string } = {},
  ): Promise<PublishOutcome | null> {
    const { id, scope = '' } = options
    const pace = this.#paceOf(options)
    if (pace !== undefined) return this.#pacer.publish(topic, input, id, scope, pace)
    return this.#publishOnce(topic, input, id, scope)
  }

  #paceOf({ coalesceKey, throttle, debounce }: PublishPacing): Pace | undefined {
    if (coalesceKey !== undefined) return { mode: 'coalesce', key: coalesceKey, ms: this.#options.coalesceMs }
    if (throttle !== undefined) return { mode: 'throttle', key: throttle.key, ms: throttle.ms }
    if (debounce !== undefined) return { mode: 'debounce', key: debounce.key, ms: debounce.ms }
    return undefined
  }

  /**
   * Holds the topic's appends, on this node and (through the engine) on every other, until the
   * returned release function is called (holds nest). Publishes made here meanwhile are queued
   * and appended in order on release.
   */
  async hold(topic: string): Promise<() => void> {
    const releaseHere = this.#holdHere(topic)
    let releaseEngine: () => void
    try {
      releaseEngine = await this.#engine.hold(topic)
    } catch (error) {
      releaseHere()
      throw error
    }
    let released = false
    return () => {
      if (released) return
      released = true
      // The engine first: this node's queued appends then reach the store after the release.
      releaseEngine()
      releaseHere()
    }
  }

  #holdHere(topic: string): () => void {
    let held = this.#held.get(topic)
    if (!held) {
      held = { count: 0, queue: [] }
      this.#held.set(topic, held)
    }
    held.count++
    let released = false
    return () => {
      if (released) return
      released = true
      const current = this.#held.get(topic)
      if (!current || --current.count > 0) return
      this.#held.delete(topic)
      for (const run of current.queue) run()
    }
  }

  /** Publishes every pending coalesced, throttled or debounced event now (on shutdown). */
  flush(): void {
    this.#pacer.flush()
  }

  #publishOnce(
    topic: string,
    input: PublishInput,
    id: string | undefined,
    scope: string,
  ): Promise<PublishOutcome> {
    const { size, ms } = this.#options.dedupWindow
    const dedup: DedupOptions | undefined =
      id === undefined ? undefined : { key: `${scope}\u0000${id}`, windowMs: ms, windowSize: size }
    return new Promise<PublishOutcome>((resolve, reject) => {
      const run = () => {
        const event: EventInput = { ...input, ts: this.#options.now() }
        if (id !== undefined) event.publishId = id
        try {
          Promise.resolve(this.#engine.append(topic, event, dedup)).then((result) => {
            if (result.duplicate) {
              resolve({ epoch: result.epoch, seq: result.seq, duplicate: true })
              return
            }
            this.#published++
            this.#options.onAppended?.(result.event)
            resolve({ epoch: result.event.epoch, seq: result.event.seq, duplicate: false })
          }, reject)
        } catch (error) {
          reject(error)
        }
      }
      const held = this.#held.get(topic)
      // The engine's append is called synchronously here (not after an await) so that the
      // order of publish() calls is the order of seqs.
      if (held) held.queue.push(run)
      else run()
    })
  }
}
