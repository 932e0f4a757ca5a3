import type { EventFrame } from '@sluice/protocol'
import type { LostEvents, ReadResult } from '@sluice/server-node'
import { eventFrame } from './wire'

export interface TopicFeedDeps {
  /** Reads the log after a position (all pages), telling the engine this feed's position. */
  read(topic: string, from: { epoch: string; seq: number }): Promise<ReadResult>
  event(event: EventFrame): void
  lost(topic: string, lost: LostEvents): void
  /** A failed read is tried again after this many ms. */
  retryMs: number
  report(error: unknown, topic: string): void
}

/**
 * One watched topic's delivery on this node: bus messages in, events out in seq order with no
 * seq skipped, or a `lost` naming where delivery goes on.
 *
 * Redis pub/sub is at-most-once: a subscriber connection that is cut (or dropped for its output
 * buffer) loses what was sent meanwhile, and nothing says so. The feed knows the last seq it
 * delivered, so the next message after a loss shows the gap, and the log fills it; when the
 * log no longer holds the missing events, or was replaced, subscribers are told to resync. A
 * loss with no message after it is found by {@link fill} when the subscriber connection comes
 * back, and by the engine's probe of an idle bus.
 *
 * States: `starting` until the watch read the head; `live`; `filling` while the log is read (bus
 * messages queue meanwhile); `closed` after unwatch.
 */
export class TopicFeed {
  #state: 'starting' | 'live' | 'filling' | 'closed' = 'starting'
  epoch = ''
  last = 0
  #queue: Array<{ epoch: string; seq: number; body: string }> = []
  #retry: ReturnType<typeof setTimeout> | undefined
  #again = false

  constructor(
    readonly topic: string,
    private readonly deps: TopicFeedDeps,
  ) {}

  get state(): string {
    return this.#state
  }

  /** The watch read the head: delivery starts after it, with what queued meanwhile. */
  start(epoch: string, head: number): void {
    if (this.#state !== 'starting') return
    this.epoch = epoch
    this.last = head
    this.#state = 'live'
    this.#drain()
  }

  /** An event message from the bus. */
  offer(epoch: string, seq: number, body: string): void {
    if (this.#state === 'closed') return
    if (this.#state !== 'live') {
      this.#queue.push({ epoch, seq, body })
      return
    }
    this.#handle(epoch, seq, body)
  }

  #handle(epoch: string, seq: number, body: string): void {
    if (epoch === this.epoch) {
      if (seq <= this.last) return
      if (seq === this.last + 1) {
        this.last = seq
        this.deps.event(eventFrame(this.topic, epoch, seq, body))
        return
      }
    }
    // A gap, or another epoch. The message itself is not kept: the log is read after it was
    // published, so the log holds it (or says why not), and a message of a replaced log is
    // dropped with that log.
    this.fill()
  }

  /**
   * Catches up from the log: every event after the last delivered, or a `lost`. Asked again
   * while a catch-up runs (the bus reconnected meanwhile), it runs once more after it.
   */
  fill(): void {
    if (this.#state === 'filling') {
      this.#again = true
      return
    }
    if (this.#state !== 'live') return
    this.#state = 'filling'
    void this.#catchUp()
  }

  async #catchUp(): Promise<void> {
    this.#again = false
    let read: ReadResult
    try {
      read = await this.deps.read(this.topic, { epoch: this.epoch, seq: this.last })
    } catch (error) {
      if (this.#state === 'closed') return
      this.deps.report(error, this.topic)
      // Redis is unreachable: bus messages queue until the log can be read again.
      this.#retry = setTimeout(() => void this.#catchUp(), this.deps.retryMs)
      this.#retry.unref?.()
      return
    }
    if (this.#state === 'closed') return
    if (read.ok) {
      for (const event of read.events) {
        if (event.seq <= this.last) continue
        this.last = event.seq
        this.deps.event(event)
      }
    } else {
      this.epoch = read.epoch
      this.last = read.head
      this.deps.lost(this.topic, { reason: read.reason, epoch: read.epoch, seq: read.head })
    }
    if (this.#again) {
      void this.#catchUp()
      return
    }
    this.#state = 'live'
    this.#drain()
  }

  #drain(): void {
    while (this.#state === 'live' && this.#queue.length > 0) {
      const next = this.#queue.shift() as { epoch: string; seq: number; body: string }
      this.#handle(next.epoch, next.seq, next.body)
    }
  }

  close(): void {
    this.#state = 'closed'
    this.#queue = []
    clearTimeout(this.#retry)
  }
}
