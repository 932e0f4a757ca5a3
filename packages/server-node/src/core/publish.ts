import type { EventFrame, Position } from '@sluice/protocol'
import type { DedupOptions, Engine, EventInput } from '../engine/types'
import type { PublishInput } from '../server-types'

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

interface Coalescing {
  input: PublishInput
  id: string | undefined
  resolve: (value: PublishOutcome | null) => void
  reject: (error: unknown) => void
  timer: ReturnType<typeof setTimeout>
}

/**
 * The write path of every publish (server API, client frames, HTTP):
 * - appends in call order, so publish order is seq order;
 * - holds a topic's publishes while a snapshot of it is taken ({@link hold}), so the snapshot's
 *   position is exact (the engine holds the other nodes' publishes);
 * - makes retries idempotent by (scope, topic, id) within a bounded window, through the engine,
 *   so a retry that reaches another node is applied once too;
 * - collapses publishes with the same coalesce key within `coalesceMs` into the last one.
 */
export class Publisher {
  readonly #engine: Engine
  readonly #options: PublisherOptions
  readonly #held = new Map<string, Held>()
  readonly #coalescing = new Map<string, Coalescing>()
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
   * @returns the position, or null when a later publish with the same coalesce key replaced it
   */
  publish(
    topic: string,
    input: PublishInput,
    options: { id?: string; coalesceKey?: string; scope?: string } = {},
  ): Promise<PublishOutcome | null> {
    const { id, coalesceKey, scope = '' } = options
    if (coalesceKey !== undefined) return this.#coalesce(topic, input, id, coalesceKey, scope)
    return this.#publishOnce(topic, input, id, scope)
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

  /** Publishes every pending coalesced event now (on shutdown). */
  flush(): void {
    for (const [key, pending] of this.#coalescing) {
      clearTimeout(pending.timer)
      this.#coalescing.delete(key)
      this.#fireCoalesced(key, pending)
    }
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

  #coalesce(
    topic: string,
    input: PublishInput,
    id: string | undefined,
    coalesceKey: string,
    scope: string,
  ): Promise<PublishOutcome | null> {
    const key = `${topic}\u0000${scope}\u0000${coalesceKey}`
    return new Promise((resolve, reject) => {
      const pending = this.#coalescing.get(key)
      if (pending) {
        pending.resolve(null)
        pending.input = input
        pending.id = id
        pending.resolve = resolve
        pending.reject = reject
        return
      }
      const timer = setTimeout(() => {
        const current = this.#coalescing.get(key)
        if (!current) return
        this.#coalescing.delete(key)
        this.#fireCoalesced(key, current)
      }, this.#options.coalesceMs)
      this.#coalescing.set(key, { input, id, resolve, reject, timer })
    })
  }

  #fireCoalesced(key: string, pending: Coalescing): void {
    const topic = key.slice(0, key.indexOf('\u0000'))
    const scope = key.slice(topic.length + 1, key.indexOf('\u0000', topic.length + 1))
    this.#publishOnce(topic, pending.input, pending.id, scope).then(pending.resolve, pending.reject)
  }
}
