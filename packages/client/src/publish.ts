import type {
  AckFrame,
  ErrorCode,
  ErrorFrame,
  EventKind,
  Json,
  JsonObject,
  PublishFrame,
} from '@sluice/protocol'
import type { Pending } from './client'
import { ClientError, isRetryLater } from './client-error'
import type { Connection } from './connection'
import { createTimer, type TimerProvider } from './timers'

/** The event to publish; the server adds topic position and timestamp. */
export interface PublishEvent {
  kind: EventKind
  key?: string
  data?: Json
  meta?: JsonObject
}

/** Per-publish options of `client.publish`. */
export interface PublishOptions {
  /** The publish id; a retry with the same id is acknowledged, not published again. @default a random id */
  id?: string
  /** Reject with TIMEOUT when no ack arrives in time, counted from each send. @default publishTimeoutMs */
  timeoutMs?: number
}

/** Where a published event landed in its topic's log. */
export interface PublishResult {
  epoch: string
  seq: number
  /** The server had seen this id before and published nothing new. */
  duplicate: boolean
}

/** Bounds of the queue of publishes issued while the client is not connected. */
export interface OfflineQueueOptions {
  /** Publishes beyond this many waiting for a connection are rejected with QUEUE_FULL. @default 100 */
  maxSize?: number
  /** A publish not sent within this time of the call is rejected with STALE. @default 60_000 */
  maxAgeMs?: number
}

/**
 * Publishes with at-least-once delivery and exactly-once effect: every publish keeps its id
 * until acknowledged and is sent again, with that same id, after each reconnect; the server's
 * dedup window turns the repeats into `duplicate: true` acks. Publishes issued while not
 * connected wait in a bounded queue (QUEUE_FULL, STALE) and go out in order on open.
 *
 * @param pending the client's publishes awaiting their ack, by publish id; the client drives them
 * @returns `client.publish`, without the CLOSED check and lazy connect the client adds
 */
export function createPublisher(
  pending: Map<string, Pending>,
  connection: Pick<Connection, 'send' | 'isOpen'>,
  nextId: () => string,
  timers: TimerProvider,
  defaultTimeoutMs: number,
  { maxSize = 100, maxAgeMs = 60_000 }: OfflineQueueOptions,
) {
  return (
    topic: string,
    { kind, key, data, meta }: PublishEvent,
    { id = nextId(), timeoutMs = defaultTimeoutMs }: PublishOptions = {},
  ): Promise<PublishResult> => {
    const error = (code: ErrorCode, message: string) => new ClientError(code, message, { topic })
    const open = connection.isOpen()
    // Undefined fields are left out by JSON.
    const frame: PublishFrame = { type: 'publish', id, topic, kind, key, data, meta }
    return new Promise((resolve, reject) => {
      // The unacknowledged publishes of a lost connection count as waiting too.
      if (!open && [...pending.values()].filter((entry) => !entry.sent).length >= maxSize)
        return reject(error('QUEUE_FULL', `${maxSize} already queued`))
      // The ack timeout while sent, the retry after RATE_LIMITED/UNAVAILABLE, or STALE while never sent.
      const timer = createTimer(timers)
      const settle = () => {
        timer()
        pending.delete(id)
      }
      const publish: Pending = {
        send() {
          publish.sent = true
          timer(timeoutMs, () => publish.fail(error('TIMEOUT', `no ack in ${timeoutMs} ms`)))
          connection.send(frame)
        },
        drop() {
          publish.sent = false
          timer()
        },
        answer(answer: AckFrame | ErrorFrame) {
          if (answer.type !== 'error') {
            settle()
            resolve({ epoch: answer.epoch ?? '', seq: answer.seq ?? 0, duplicate: !!answer.duplicate })
          } else if (isRetryLater(answer.code) && publish.sent) {
            // Not published: send it again (same id) once the server's bucket has room or its
            // engine is back. A drop in between clears this timer; the reconnect resends it.
            timer(answer.retryAfterMs ?? 1000, publish.send)
          } else publish.fail(new ClientError(answer.code, answer.message, answer))
        },
        fail(reason) {
          settle()
          reject(reason)
        },
      }
      pending.get(id)?.fail(error('BAD_REQUEST', 'id reused'))
      pending.set(id, publish)
      if (open) publish.send()
      // Only a publish never sent goes STALE: one sent may have reached the server, so it is
      // resent however old. Sending clears this timer (and a drop leaves none behind, as every
      // publish was sent while the connection was open).
      else timer(maxAgeMs, () => publish.fail(error('STALE', `not sent in ${maxAgeMs} ms`)))
    })
  }
}
