import type { EventFrame, PresenceFrame } from '@sluice/protocol'
import type { Engine, LostEvents } from '../engine/types'
import { SharedFrame } from './shared-frame'
import type { Subscription } from './subscription'

interface Topic {
  subscriptions: Set<Subscription>
  // The engine's watch of the topic, started with its first subscriber: `true` once a
  // synchronous engine (the memory engine) returned, a promise while a networked one works on
  // it, undefined again after a failed watch, so the next subscriber tries anew instead of
  // inheriting the failure.
  watching: true | Promise<void> | undefined
}

export interface HubOptions {
  /** Told which topics this node has subscribers for, so a networked engine listens to just those. */
  engine: Pick<Engine, 'watch' | 'unwatch'>
  /** Told once per dispatched event how many connections got it (stats, metrics). */
  onDelivered?: (count: number) => void
}

/**
 * Topic → subscribers, and the fan-out of events and presence changes to them. Each event is
 * wrapped once in a {@link SharedFrame}, so its encodings are computed once for all
 * subscribers; filters run per subscriber on `meta` only.
 */
export class Hub {
  readonly #topics = new Map<string, Topic>()
  readonly #engine: HubOptions['engine']
  readonly #onDelivered: (count: number) => void

  constructor({ engine, onDelivered = () => {} }: HubOptions) {
    this.#engine = engine
    this.#onDelivered = onDelivered
  }

  add(subscription: Subscription): void {
    let topic = this.#topics.get(subscription.topic)
    if (!topic) {
      topic = { subscriptions: new Set(), watching: undefined }
      this.#topics.set(subscription.topic, topic)
    }
    topic.subscriptions.add(subscription)
  }

  /**
   * Whether the engine delivers the topic's events to this node yet: a log read after that
   * misses nothing, which is what the subscribe flow's seam rule needs. Undefined when it
   * already does (nothing to await: a synchronous engine costs no extra tick), else a promise
   * that settles when it does or rejects with why it cannot.
   */
  ready(topicName: string): Promise<void> | undefined {
    const topic = this.#topics.get(topicName)
    if (!topic || topic.watching === true) return undefined
    if (topic.watching !== undefined) return topic.watching
    let started: void | Promise<void>
    try {
      started = this.#engine.watch(topicName)
    } catch (error) {
      return Promise.reject(error)
    }
    if (!(started instanceof Promise)) {
      topic.watching = true
      return undefined
    }
    topic.watching = started
    started.then(
      () => {
        if (topic.watching === started) topic.watching = true
      },
      () => {
        if (topic.watching === started) topic.watching = undefined
      },
    )
    return started
  }

  remove(subscription: Subscription): void {
    const topic = this.#topics.get(subscription.topic)
    if (!topic) return
    topic.subscriptions.delete(subscription)
    if (topic.subscriptions.size > 0) return
    this.#topics.delete(subscription.topic)
    if (topic.watching !== undefined) this.#engine.unwatch(subscription.topic)
  }

  /** Delivers an event to the topic's subscribers. @returns how many connections it was sent to */
  dispatch(event: EventFrame): number {
    const set = this.#topics.get(event.topic)?.subscriptions
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

  /** Tells the topic's subscribers that events were lost on the way to this node (see {@link Subscription.lost}). */
  dispatchLost(topic: string, lost: LostEvents): void {
    const set = this.#topics.get(topic)?.subscriptions
    if (!set) return
    for (const subscription of set) subscription.lost(lost)
  }

  /** Sends a presence change to the topic's subscribers that asked for presence. */
  dispatchPresence(frame: PresenceFrame): number {
    const set = this.#topics.get(frame.topic)?.subscriptions
    if (!set) return 0
    const shared = new SharedFrame(frame)
    let sent = 0
    for (const subscription of set) {
      if (subscription.offerPresence(shared)) sent++
    }
    return sent
  }

  /** Each topic with subscribers on this node, and how many it has (the operations API lists them). */
  *topics(): Generator<{ topic: string; subscribers: number }> {
    for (const [topic, { subscriptions }] of this.#topics) yield { topic, subscribers: subscriptions.size }
  }

  get topicCount(): number {
    return this.#topics.size
  }

  get subscriptionCount(): number {
    let count = 0
    for (const topic of this.#topics.values()) count += topic.subscriptions.size
    return count
  }
}
