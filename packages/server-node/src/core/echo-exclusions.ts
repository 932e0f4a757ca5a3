import type { EventFrame, Position } from '@sluice/protocol'

/** How many excluded events a connection remembers, all topics together (PROTOCOL.md § Publishing). */
export const MAX_EXCLUDED_EVENTS = 1_000

interface TopicExclusions {
  /** Publish ids sent with `echo: false` whose append has not answered yet. */
  pending: Set<string>
  /** The epoch of `seqs`. */
  epoch: string
  /** Excluded events of the topic, oldest first. */
  seqs: Set<number>
}

/**
 * The events one connection published with `echo: false`, which it must not be sent (live, or
 * replayed on a re-subscribe). Owned by the connection, not its subscription: a re-subscribe
 * (a new filter) replaces the subscription but must not bring the event back.
 *
 * The event is recognized in two ways, because an engine may deliver it before or after the
 * append answers: by its `publishId` while the append is pending (the memory engine delivers
 * inside the append), by its position once the append answered (a networked engine's bus may
 * deliver after). Matching by publish id alone while pending is safe because ids are 96 random
 * bits or more (PROTOCOL.md § Publishing), and one publisher's id is one event (dedup).
 *
 * The check runs per subscriber after the event was encoded once for all of them
 * (SharedFrame): excluding this connection sends nothing, it never encodes anything again.
 */
export class EchoExclusions {
  readonly #topics = new Map<string, TopicExclusions>()
  #count = 0

  /** A publish with `echo: false` is about to be appended. */
  expect(topic: string, publishId: string): void {
    this.#topic(topic).pending.add(publishId)
  }

  /**
   * The append answered: where the event landed (for a duplicate, where the original did), or
   * undefined when it failed (nothing was appended).
   */
  settle(topic: string, publishId: string, position: Position | undefined): void {
    const entry = this.#topics.get(topic)
    if (entry === undefined) return
    entry.pending.delete(publishId)
    if (position !== undefined) this.#remember(entry, position)
    else this.#dropIfEmpty(topic, entry)
  }

  /** Whether the event must not be sent to this connection. Called for each event it would get. */
  excludes(event: EventFrame): boolean {
    const entry = this.#topics.get(event.topic)
    if (entry === undefined) return false
    if (event.epoch === entry.epoch && entry.seqs.has(event.seq)) return true
    if (event.publishId === undefined || !entry.pending.delete(event.publishId)) return false
    this.#remember(entry, event)
    return true
  }

  #topic(topic: string): TopicExclusions {
    let entry = this.#topics.get(topic)
    if (entry === undefined) {
      entry = { pending: new Set(), epoch: '', seqs: new Set() }
      this.#topics.set(topic, entry)
    }
    return entry
  }

  #remember(entry: TopicExclusions, { epoch, seq }: Position): void {
    // Positions of another epoch cannot come back: that log was replaced.
    if (epoch !== entry.epoch) {
      this.#count -= entry.seqs.size
      entry.seqs.clear()
      entry.epoch = epoch
    }
    if (entry.seqs.has(seq)) return
    entry.seqs.add(seq)
    this.#count++
    if (this.#count > MAX_EXCLUDED_EVENTS) this.#forgetOldest()
  }

  // The first topic in the map is the one that first had an exclusion; its oldest goes.
  #forgetOldest(): void {
    for (const [topic, entry] of this.#topics) {
      const oldest = entry.seqs.values().next()
      if (oldest.done) continue
      entry.seqs.delete(oldest.value)
      this.#count--
      this.#dropIfEmpty(topic, entry)
      return
    }
  }

  #dropIfEmpty(topic: string, entry: TopicExclusions): void {
    if (entry.pending.size === 0 && entry.seqs.size === 0) this.#topics.delete(topic)
  }
}
