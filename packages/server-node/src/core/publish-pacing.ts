import type { PublishInput } from '../server-types'
import type { PublishOutcome } from './publish'

/**
 * How publishes sharing a key on a topic are spaced out:
 * - `coalesce`: trailing. The first publish opens a window of `ms`; at its end only the latest
 *   publish of the window is appended.
 * - `throttle`: leading and trailing. A publish in a quiet period is appended at once and opens
 *   a window of `ms`; the latest publish made during the window is appended when it ends, and
 *   that append opens the next window. At most one append per `ms`, and the last value always
 *   lands.
 * - `debounce`: trailing. Each publish replaces the pending one and restarts the `ms` timer;
 *   the latest is appended once `ms` passed without another.
 *
 * A publish that a later one replaces resolves null; the one appended resolves with its position.
 */
export type PaceMode = 'coalesce' | 'throttle' | 'debounce'

export interface Pace {
  mode: PaceMode
  key: string
  ms: number
}

/** Appends one event now (the Publisher's write path, holds and dedup included). */
export type PublishNow = (
  topic: string,
  input: PublishInput,
  id: string | undefined,
  scope: string,
) => Promise<PublishOutcome>

interface Pending {
  input: PublishInput
  id: string | undefined
  resolve: (value: PublishOutcome | null) => void
  reject: (error: unknown) => void
}

interface Window {
  topic: string
  scope: string
  mode: PaceMode
  ms: number
  /** The publish waiting for the window's end; none in a throttle window nobody published into. */
  pending: Pending | undefined
  timer: ReturnType<typeof setTimeout>
}

/**
 * The timing windows of paced publishes, one per (mode, topic, publisher scope, key). Windows
 * of different modes never share a key: a throttled and a debounced `cursor` are independent.
 * Timers are looked up on the global object at each call so that fake timers apply in tests.
 */
export class PublishPacer {
  readonly #windows = new Map<string, Window>()
  readonly #publishNow: PublishNow

  constructor(publishNow: PublishNow) {
    this.#publishNow = publishNow
  }

  publish(
    topic: string,
    input: PublishInput,
    id: string | undefined,
    scope: string,
    pace: Pace,
  ): Promise<PublishOutcome | null> {
    const name = `${pace.mode}\u0000${topic}\u0000${scope}\u0000${pace.key}`
    const window = this.#windows.get(name)
    if (window === undefined && pace.mode === 'throttle') {
      // Leading edge: appended at once; the window only collects what comes during it.
      this.#open(name, { topic, scope, mode: pace.mode, ms: pace.ms, pending: undefined })
      return this.#publishNow(topic, input, id, scope)
    }
    return new Promise((resolve, reject) => {
      const pending: Pending = { input, id, resolve, reject }
      if (window === undefined) {
        this.#open(name, { topic, scope, mode: pace.mode, ms: pace.ms, pending })
        return
      }
      window.pending?.resolve(null)
      window.pending = pending
      if (window.mode === 'debounce') {
        clearTimeout(window.timer)
        window.timer = setTimeout(() => this.#end(name), window.ms)
      }
    })
  }

  /** Appends every pending publish now and forgets every window (on shutdown). */
  flush(): void {
    for (const [name, window] of this.#windows) {
      clearTimeout(window.timer)
      this.#windows.delete(name)
      if (window.pending !== undefined) this.#append(window, window.pending)
    }
  }

  #open(name: string, window: Omit<Window, 'timer'>): void {
    this.#windows.set(name, { ...window, timer: setTimeout(() => this.#end(name), window.ms) })
  }

  #end(name: string): void {
    const window = this.#windows.get(name)
    if (window === undefined) return
    const { pending } = window
    if (window.mode === 'throttle' && pending !== undefined) {
      // The trailing append opens the next window, so appends stay at least `ms` apart.
      window.pending = undefined
      window.timer = setTimeout(() => this.#end(name), window.ms)
    } else {
      this.#windows.delete(name)
    }
    if (pending !== undefined) this.#append(window, pending)
  }

  #append(window: Window, pending: Pending): void {
    this.#publishNow(window.topic, pending.input, pending.id, window.scope).then(
      pending.resolve,
      pending.reject,
    )
  }
}
