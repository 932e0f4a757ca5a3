import type { EventFrame, FilterPredicate, PresenceFrame, ServerFrame } from '@sluice/protocol'
import type { LostEvents } from '../engine/types'
import type { EchoExclusions } from './echo-exclusions'
import { SharedFrame } from './shared-frame'

/** What a subscription needs from its connection. */
export interface SubscriptionOwner {
  readonly id: string
  sendFrame(frame: ServerFrame): boolean
  sendShared(frame: SharedFrame): boolean
  /** Counts events delivered outside the hub's fan-out (replays, events queued while starting). */
  countDelivered(count: number): void
  /** Runs a burst of sends (a replay) with one slow-consumer check at its end. */
  burst(send: () => void): void
  /** Events this owner published with `echo: false`, not to be sent to it; undefined until it does. */
  readonly echoExclusions?: EchoExclusions | undefined
}

/**
 * One connection's subscription to one topic. It is registered with the hub before its start
 * position is known, so nothing published meanwhile is lost: until {@link goLive} events are
 * queued, and every event is delivered only if its seq is past the last one delivered — which
 * is what makes the replay/live seam free of gaps and duplicates.
 */
export class Subscription {
  state: 'starting' | 'live' | 'closed' = 'starting'
  /**
   * Presence frames of the topic: `off` (not asked for, or the sync not started), `syncing`
   * while the member list is read (changes queue, since an engine's list and its change stream
   * are not read at one instant), `on` once the sync was sent.
   */
  presence: 'off' | 'syncing' | 'on' = 'off'
  #presencePending: SharedFrame<PresenceFrame>[] | undefined
  epoch = ''
  lastSeq = 0
  // Allocated only while events arrive during the start (most subscriptions never need it).
  #pending: SharedFrame<EventFrame>[] | undefined
  // A loss the engine reported while starting, judged against the start position in goLive.
  #lost: LostEvents | undefined

  constructor(
    readonly owner: SubscriptionOwner,
    readonly topic: string,
    readonly predicate: FilterPredicate | null,
    readonly wantsPresence: boolean,
  ) {}

  /** Called by the hub for each live event of the topic. */
  offer(event: SharedFrame<EventFrame>): void {
    if (this.state === 'live') this.deliver(event)
    else if (this.state === 'starting') {
      this.#pending ??= []
      this.#pending.push(event)
    }
  }

  /** Sends an event if it is past the last one delivered and matches the filter. */
  deliver(event: SharedFrame<EventFrame>): boolean {
    const { topic, epoch, seq, meta } = event.frame
    // A new epoch mid-subscription means the log was replaced (an engine dropped it): its seqs
    // start over and the client's state no longer matches, so it is told like on a resume.
    if (epoch !== this.epoch) {
      this.owner.sendFrame({ type: 'resync', topic, reason: 'epoch_changed', epoch, seq: seq - 1 })
      this.epoch = epoch
      this.lastSeq = seq - 1
    }
    if (seq <= this.lastSeq) return false
    this.lastSeq = seq
    if (this.predicate && !this.predicate(meta)) return false
    // The shared encoding stays as it is: excluding this connection only skips its send.
    if (this.owner.echoExclusions?.excludes(event.frame)) return false
    return this.owner.sendShared(event)
  }

  /**
   * Events of the topic were lost on the way to this node (a networked engine's bus dropped
   * them and its log no longer holds them, or the log was replaced). A live subscription tells
   * its client to resync, and goes on after the position named; one still starting keeps the
   * loss for {@link goLive}, which tells the client unless its start position already covers it.
   */
  lost(lost: LostEvents): void {
    if (this.state === 'live') this.#resync(lost)
    else if (this.state === 'starting') this.#lost = lost
  }

  /**
   * The start position was just read from the engine: a loss reported before this is older
   * than it (an engine answers its own reads in order, the one that found the loss first), so
   * the position, and the replay or snapshot at it, already reflect it. Only a loss reported
   * after this point can still put the client behind.
   */
  positionRead(): void {
    this.#lost = undefined
  }

  #resync({ reason, epoch, seq }: LostEvents): void {
    this.owner.sendFrame({ type: 'resync', topic: this.topic, reason, epoch, seq })
    this.epoch = epoch
    this.lastSeq = seq
  }

  /** Called by the hub for each presence change of the topic. @returns whether it was sent */
  offerPresence(change: SharedFrame<PresenceFrame>): boolean {
    if (this.presence === 'on' && this.state === 'live') return this.owner.sendShared(change)
    if (this.presence === 'syncing' && this.state !== 'closed') {
      this.#presencePending ??= []
      this.#presencePending.push(change)
    }
    return false
  }

  /**
   * Sends the presence sync, then the changes that arrived while its list was read. A change
   * the list already reflects is sent again, which a client applies idempotently (a join of a
   * known member replaces it; a leave of an unknown one does nothing); one it does not reflect
   * would otherwise be lost.
   */
  presenceSynced(sync: PresenceFrame): void {
    this.owner.sendFrame(sync)
    this.presence = 'on'
    const pending = this.#presencePending
    this.#presencePending = undefined
    for (const change of pending ?? []) this.owner.sendShared(change)
  }

  /** Replays events read from the engine, in order. */
  replay(events: readonly EventFrame[]): void {
    this.owner.burst(() => {
      let delivered = 0
      for (const event of events) {
        if (this.state === 'closed') break
        if (this.deliver(new SharedFrame(event))) delivered++
      }
      this.owner.countDelivered(delivered)
    })
  }

  /** Starts live delivery after `seq`, first flushing what arrived while starting. */
  goLive(epoch: string, seq: number): void {
    if (this.state !== 'starting') return
    if (this.epoch !== epoch) {
      this.epoch = epoch
      this.lastSeq = seq
    } else if (seq > this.lastSeq) this.lastSeq = seq
    this.state = 'live'
    const lost = this.#lost
    this.#lost = undefined
    if (lost !== undefined && (lost.epoch !== this.epoch || lost.seq > this.lastSeq)) this.#resync(lost)
    const pending = this.#pending
    this.#pending = undefined
    if (!pending) return
    let delivered = 0
    for (const event of pending) {
      if (this.state !== 'live') break
      // Queued before a log replacement that the start position already reflects.
      if (event.frame.epoch !== this.epoch) continue
      if (this.deliver(event)) delivered++
    }
    this.owner.countDelivered(delivered)
  }

  close(): void {
    this.state = 'closed'
    this.#pending = undefined
    this.#presencePending = undefined
    this.#lost = undefined
  }
}
