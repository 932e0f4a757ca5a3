import type { EventFrame, Position } from '@sluice/protocol'

/**
 * What the client dedup rule says of an event (PROTOCOL.md § Client dedup rule): `new` is
 * applied and moves the position, `seen` is at or before it in the same log and dropped,
 * `foreign` belongs to another epoch that no resync, snapshot or subscribed announced: the
 * log was replaced behind the client's back, and the event must be treated as a resync.
 */
export type EventVerdict = 'new' | 'seen' | 'foreign'

/**
 * The position of one topic: the last event applied to its stores, or the resync, snapshot or
 * subscribed point where their state stands. It is where the next subscribe resumes from, and
 * what makes every event reach the stores at most once. Null while no state can be resumed
 * (nothing confirmed yet, or a snapshot is still owed).
 */
export function createTopicPosition() {
  let last: Position | null = null

  return {
    get: (): Position | null => last,
    /** Copies the epoch and seq of `at` (a frame, say), or forgets the position. */
    set(at: Position | null): void {
      last = at && { epoch: at.epoch, seq: at.seq }
    },
    /** Judges `event` and, when it is new, moves the position to it. */
    accept(event: EventFrame): EventVerdict {
      if (last) {
        if (event.epoch !== last.epoch) return 'foreign'
        if (event.seq <= last.seq) return 'seen'
      }
      last = { epoch: event.epoch, seq: event.seq }
      return 'new'
    },
  }
}

export type TopicPosition = ReturnType<typeof createTopicPosition>
