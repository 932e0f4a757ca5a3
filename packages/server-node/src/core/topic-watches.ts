import type { Engine } from '../engine/types'

interface Watch {
  count: number
  /** `true` once the engine delivers the topic; the engine's promise until then. */
  started: true | Promise<void>
}

/**
 * Counts who wants a topic's events on this node — the hub for its subscribers, derived topics
 * for their sources — so the engine is asked to watch a topic once and to stop only when
 * nobody wants it any more. A networked engine's watch is not counted (the Redis engine's
 * unwatch ends the topic's feed whoever else relied on it).
 *
 * A watch that fails counts for nobody: every caller sharing it sees the rejection and holds
 * nothing to unwatch, as with the engine itself.
 */
export class TopicWatches implements Pick<Engine, 'watch' | 'unwatch'> {
  readonly #engine: Pick<Engine, 'watch' | 'unwatch'>
  readonly #watches = new Map<string, Watch>()

  constructor(engine: Pick<Engine, 'watch' | 'unwatch'>) {
    this.#engine = engine
  }

  watch(topic: string): void | Promise<void> {
    const current = this.#watches.get(topic)
    if (current !== undefined) {
      current.count++
      return current.started === true ? undefined : current.started
    }
    const started = this.#engine.watch(topic)
    if (!(started instanceof Promise)) {
      this.#watches.set(topic, { count: 1, started: true })
      return undefined
    }
    const watch: Watch = { count: 1, started }
    this.#watches.set(topic, watch)
    started.then(
      () => {
        if (watch.started === started) watch.started = true
      },
      () => {
        if (this.#watches.get(topic) === watch) this.#watches.delete(topic)
      },
    )
    return started
  }

  unwatch(topic: string): void {
    const watch = this.#watches.get(topic)
    if (watch === undefined) return
    if (--watch.count > 0) return
    this.#watches.delete(topic)
    this.#engine.unwatch(topic)
  }
}
