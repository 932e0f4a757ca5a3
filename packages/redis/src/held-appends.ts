/**
 * One node's appends that a snapshot hold on another node refused, per topic, in call order.
 *
 * The append script refuses every later append of this node to the topic once it refused one
 * (a marker key), so appends already on the wire come back refused too, and nothing of this node
 * lands out of order. Retrying sends them again in order, the oldest first with the marker
 * cleared: if the hold is still there it comes back refused (and sets the marker again), and
 * the rest follow it.
 */
export interface HeldAppend {
  /** Call order on this node. */
  readonly order: number
  /** Sends the append; `retry` marks the oldest of a retried batch. */
  send(retry: boolean): void
  /** Rejects the append's publish (the engine closed). */
  fail(error: Error): void
}

export class HeldAppends {
  readonly #topics = new Map<string, { queue: HeldAppend[]; timer: ReturnType<typeof setTimeout> }>()

  constructor(private readonly pollMs: number) {}

  /** True while the topic has appends waiting: a new append queues behind them instead of going out. */
  has(topic: string): boolean {
    return this.#topics.has(topic)
  }

  /** Queues an append that was refused (or that must wait behind refused ones), in call order. */
  add(topic: string, append: HeldAppend): void {
    let held = this.#topics.get(topic)
    if (!held) {
      const timer = setTimeout(() => this.#retry(topic), this.pollMs)
      timer.unref?.()
      held = { queue: [], timer }
      this.#topics.set(topic, held)
    }
    let at = held.queue.length
    while (at > 0 && (held.queue[at - 1] as HeldAppend).order > append.order) at--
    held.queue.splice(at, 0, append)
  }

  #retry(topic: string): void {
    const held = this.#topics.get(topic)
    if (!held) return
    this.#topics.delete(topic)
    // All at once, in order, on the one command connection: the oldest clears the marker.
    let first = true
    for (const append of held.queue) {
      append.send(first)
      first = false
    }
  }

  /** Fails every waiting append. */
  close(error: Error): void {
    for (const { timer, queue } of this.#topics.values()) {
      clearTimeout(timer)
      for (const append of queue) append.fail(error)
    }
    this.#topics.clear()
  }
}
