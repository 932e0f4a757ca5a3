import type { EventFrame, PresenceFrame } from '@sluice/protocol'
import { SharedFrame } from './shared-frame'
import type { Subscription } from './subscription'

/**
 * Topic → subscribers, and the fan-out of events and presence changes to them. Each event is
 * wrapped once in a {@link SharedFrame}, so its encodings are computed once for all
 * subscribers; filters run per subscriber on `meta` only.
 */
export class Hub {
  readonly #topics = new Map<string, Set<Subscription>>()
  readonly #onDelivered: (count: number) => void

  /** @param onDelivered told once per dispatched event how many connections got it (stats, metrics) */
  constructor(onDelivered: (count: number) => void = () => {}) {
    this.#onDelivered = onDelivered
  }

  add(subscription: Subscription): void {
    let set = this.#topics.get(subscription.topic)
    if (!set) {
      set = new Set()
      this.#topics.set(subscription.topic, set)
    }
    set.add(subscription)
  }

  remove(subscription: Subscription): void {
    const set = this.#topics.get(subscription.topic)
    if (!set) return
    set.delete(subscription)
    if (set.size === 0) this.#topics.delete(subscription.topic)
  }

  /** Delivers an event to the topic's subscribers. @returns how many connections it was sent to */
  dispatch(event: EventFrame): number {
    const set = this.#topics.get(event.topic)
    if (!set) return 0
    const shared = new SharedFrame(event)
    let sent = 0
    // A delivery may close a slow consumer, which removes it from the set while we iterate;
    // Set iteration tolerates deletion of visited and unvisited entries.
    for (const subscription of set) {
      if (subscription.state !== 'live') subscription.offer(shared)
      else if (subscription.deliver(shared)) sent++
    }
    if (sent > 0) this.#onDelivered(sent)
    return sent
  }

  /** Sends a presence change to the topic's subscribers that asked for presence. */
  dispatchPresence(frame: PresenceFrame): number {
    const set = this.#topics.get(frame.topic)
    if (!set) return 0
    const shared = new SharedFrame(frame)
    let sent = 0
    for (const subscription of set) {
      if (subscription.presence && subscription.state === 'live' && subscription.owner.sendShared(shared))
        sent++
    }
    return sent
  }

  get topicCount(): number {
    return this.#topics.size
  }

  get subscriptionCount(): number {
    let count = 0
    for (const set of this.#topics.values()) count += set.size
    return count
  }
}
