import type { Position } from '@sluice/protocol'
import type { DedupOptions } from './types'

interface Remembered extends Position {
  at: number
}

/**
 * The memory engine's publish dedup: per topic, the dedup keys appended within the window and
 * where they landed, bounded by age and by count. A networked engine keeps the same facts in its
 * store (the Redis engine: one key per publish id with a TTL), so a retry that reaches another
 * node is answered the same way.
 */
export class DedupWindow {
  readonly #topics = new Map<string, Map<string, Remembered>>()

  constructor(private readonly now: () => number) {}

  /** Where the key landed, if it was appended within the window. */
  get(topic: string, options: DedupOptions): Position | undefined {
    const window = this.#windowOf(topic, options)
    const known = window.get(options.key)
    if (known === undefined || known.at < this.now() - options.windowMs) return undefined
    return known
  }

  remember(topic: string, options: DedupOptions, position: Position): void {
    const window = this.#windowOf(topic, options)
    this.#trim(window, options, 1)
    window.set(options.key, { at: this.now(), epoch: position.epoch, seq: position.seq })
  }

  #windowOf(topic: string, options: DedupOptions): Map<string, Remembered> {
    const window = this.#topics.get(topic) ?? new Map<string, Remembered>()
    // Re-inserting keeps #topics in least-recently-used order, so the sweep below always looks
    // at the stalest topic: windows of topics nobody publishes to any more empty out and go.
    this.#topics.delete(topic)
    this.#topics.set(topic, window)
    const stalest = this.#topics.entries().next().value
    if (stalest && stalest[0] !== topic) {
      this.#trim(stalest[1], options, 0)
      if (stalest[1].size === 0) this.#topics.delete(stalest[0])
    }
    return window
  }

  // Insertion order is age order: drops entries past the age limit, then the oldest until
  // `room` more fit within the size limit.
  #trim(window: Map<string, Remembered>, { windowMs, windowSize }: DedupOptions, room: number): void {
    const cutoff = this.now() - windowMs
    for (const [key, entry] of window) {
      if (entry.at >= cutoff && window.size + room <= windowSize) break
      window.delete(key)
    }
  }
}
