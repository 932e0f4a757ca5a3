import type {
  AckFrame,
  ErrorFrame,
  HistoryPageFrame,
  PongFrame,
  ResultFrame,
  SubscribedFrame,
  UnsubscribedFrame,
} from '@sluice/protocol'
import type { ClientError } from './client-error'
import type { TimerHandle, TimerProvider } from './timers'

/** A frame that answers a command by carrying its id. */
export type AnswerFrame =
  | AckFrame
  | ResultFrame
  | ErrorFrame
  | SubscribedFrame
  | UnsubscribedFrame
  | PongFrame
  | HistoryPageFrame

/**
 * A command that waits for the frame with its id: subscribe, unsubscribe, setPresence, call,
 * publish, auth or ping. Its owner says what the connection's life means for it; the defaults fit
 * a command that belongs to one connection (forgotten when it ends, restated by its owner on the
 * next one: subscribes, presence, pings, token refreshes).
 */
export interface Awaited {
  /** The frame with its id arrived; the entry was removed first (one answer per id). */
  answer(frame: AnswerFrame): void
  /**
   * Puts the command on the wire. Called for every entry still waiting when a connection opens
   * and `sent` is false: a command kept across connections (a publish, a call issued offline)
   * goes out again there. Owners send their command themselves when it is registered while open.
   */
  send?(): void
  /** On the wire since the connection opened; cleared when the connection is lost. */
  sent?: boolean
  /**
   * It cannot be sent again (a call may have run): while it is on the wire, the connection does
   * not switch transports, as its answer would be lost with the old one.
   */
  once?: boolean
  /**
   * The connection was lost before the answer (`error` says why, when known; null for a
   * transport switch): return true to keep waiting (sent again on open).
   */
  drop?(error: ClientError | null): boolean
  /** The client closed for good: settle with this error. */
  fail?(error: ClientError): void
}

/**
 * The registry of awaited answers, by command id: the one place a frame with an id is matched
 * to the command it answers. Ids are unique per client (see ids.ts), so the id alone finds it,
 * whatever the command's kind. It also holds the retries a command's owner schedules after a
 * RATE_LIMITED or UNAVAILABLE answer: they belong to the connection, like the answers, and
 * are cancelled when it ends.
 *
 * Entries are kept in the order they were added, which is the order in which the commands kept
 * across connections are sent again on open.
 */
export function createAwaitedAnswers(timers: TimerProvider) {
  const awaited = new Map<string, Awaited>()
  const retries = new Set<TimerHandle>()
  const cancelRetries = () => {
    for (const retry of retries) timers.clearTimeout(retry)
    retries.clear()
  }

  return {
    /** Registers the command `id`; an entry under the same id is replaced. */
    add(id: string, entry: Awaited): void {
      awaited.set(id, entry)
    },
    get(id: string): Awaited | undefined {
      return awaited.get(id)
    },
    /** The ids of the commands waiting, oldest first (for a development inspector). */
    ids: (): string[] => [...awaited.keys()],
    /** Removes the command without an answer (it timed out, or its owner gave it up). */
    remove(id: string): void {
      awaited.delete(id)
    },
    /** True while a command that cannot be sent again is on the wire. */
    busy: (): boolean => [...awaited.values()].some((entry) => entry.once && entry.sent),

    /**
     * Hands `frame` to the command it answers. A frame whose id nothing awaits is dropped: the
     * answer to a command its owner gave up on (a timed-out call, a superseded subscribe).
     */
    answer(frame: AnswerFrame & { id: string }): void {
      const entry = awaited.get(frame.id)
      if (!entry) return
      awaited.delete(frame.id)
      entry.answer(frame)
    },

    /** Runs `retry` after `ms` unless the connection ends first. */
    retryLater(ms: number, retry: () => void): void {
      const timer = timers.setTimeout(() => {
        retries.delete(timer)
        retry()
      }, ms)
      retries.add(timer)
    },

    /** A connection opened: every command still waiting and not on the wire is sent, oldest first. */
    opened(): void {
      for (const entry of [...awaited.values()]) {
        if (!entry.sent) entry.send?.()
      }
    },

    /**
     * The connection is gone (or was replaced): its answers and retries will not come. What an
     * entry's `drop` keeps is sent again on the next open.
     */
    dropped(error: ClientError | null = null): void {
      cancelRetries()
      for (const [id, entry] of [...awaited]) {
        // `drop` still sees whether it was on the wire (a call that was fails, one that was not waits).
        const keep = entry.drop?.(error)
        entry.sent = false
        if (!keep) awaited.delete(id)
      }
    },

    /** The client is closed: every command waiting is settled with `error`. */
    closed(error: ClientError): void {
      cancelRetries()
      const entries = [...awaited.values()]
      awaited.clear()
      for (const entry of entries) entry.fail?.(error)
    },
  }
}

export type AwaitedAnswers = ReturnType<typeof createAwaitedAnswers>
