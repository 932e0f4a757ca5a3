import {
  type ErrorCode,
  type EventKind,
  isRefusedMessageCloseCode,
  type Json,
  type JsonObject,
  type PublishFrame,
} from '@sluice/protocol'
import type { Awaited, AwaitedAnswers } from './awaited-answers'
import { ClientError, isRetryLater, naming } from './client-error'
import type { Connection } from './connection'
import { createTimer, type TimerProvider } from './timers'

/**
 * The event to publish; the server adds topic position and timestamp. `TData` is the data's
 * type: a typed client takes it from the topic's schema, an untyped one checks it is JSON (see
 * `JsonCompatible`), so an `interface` passes as well as a type alias.
 */
export interface PublishEvent<TData = Json> {
  kind: EventKind
  key?: string
  data?: TData
  meta?: JsonObject
}

/** Per-publish options of `client.publish`. */
export interface PublishOptions {
  /** The publish id; a retry with the same id is acknowledged, not published again. @default a random id */
  id?: string
  /** Reject with TIMEOUT when no ack arrives in time, counted from each send. @default publishTimeoutMs */
  timeoutMs?: number
  /**
   * false: the server does not send this publish's event back to this connection (the app
   * applied it already); the promise settles on the ack alone. A later connection's replay may
   * still bring it, so apply it idempotently (crud and latest do). @default true
   */
  echo?: boolean
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
  /**
   * A call made with `{ queue: true }` not sent within this time of the call is rejected with
   * STALE (calls are usually answered while the user waits, so sooner than publishes).
   * @default 30_000
   */
  callMaxAgeMs?: number
}

/** What {@link createPublisher} needs from the client. */
export interface PublisherOptions {
  /** Where each publish waits for its `ack` or `error`, by publish id, across reconnects. */
  answers: AwaitedAnswers
  connection: Pick<Connection, 'send' | 'isOpen'>
  nextId: () => string
  timers: TimerProvider
  /** The ack timeout of a publish that sets none. */
  timeoutMs: number
  offlineQueue: OfflineQueueOptions
}

/**
 * Publishes with at-least-once delivery and exactly-once effect: every publish keeps its id
 * until acknowledged and is sent again, with that same id, after each reconnect; the server's
 * dedup window turns the repeats into `duplicate: true` acks. Publishes issued while not
 * connected wait in a bounded queue (QUEUE_FULL, STALE) and go out in order on open. Every error
 * names the publish id and the topic.
 *
 * @returns `client.publish`, without the CLOSED check and lazy connect the client adds
 */
export function createPublisher({
  answers,
  connection,
  nextId,
  timers,
  timeoutMs: defaultTimeoutMs,
  offlineQueue: { maxSize = 100, maxAgeMs = 60_000 },
}: PublisherOptions) {
  // The publishes waiting for a connection: never sent, or sent on a connection since lost.
  const waiting = new Set<Awaited>()

  return (
    topic: string,
    // The client's signature checked the data (JSON-compatible, or the topic's schema).
    { kind, key, data, meta }: PublishEvent<unknown>,
    { id = nextId(), timeoutMs = defaultTimeoutMs, echo }: PublishOptions = {},
  ): Promise<PublishResult> => {
    const subject = `publish ${id} to ${topic}`
    const error = (code: ErrorCode, message: string) =>
      new ClientError(code, `${subject}: ${message}`, { topic })
    const open = connection.isOpen()
    // Undefined fields are left out by JSON.
    const frame: PublishFrame = {
      type: 'publish',
      id,
      topic,
      kind,
      key,
      data: data as Json | undefined,
      meta,
    }
    if (echo === false) frame.echo = false
    return new Promise((resolve, reject) => {
      if (!open && waiting.size >= maxSize) return reject(error('QUEUE_FULL', `${maxSize} already queued`))
      // The ack timeout while sent, the retry after RATE_LIMITED/UNAVAILABLE, or STALE while never sent.
      const timer = createTimer(timers)
      const fail = (reason: ClientError) => {
        timer()
        waiting.delete(publish)
        // Another publish may have taken the id since (see below): remove only this one.
        if (answers.get(id) === publish) answers.remove(id)
        reject(reason)
      }
      const send = () => {
        publish.sent = true
        waiting.delete(publish)
        timer(timeoutMs, () => fail(error('TIMEOUT', `no ack in ${timeoutMs} ms`)))
        connection.send(frame)
      }
      const publish: Awaited = {
        send,
        drop(lost) {
          // The server closed the connection on a message it refuses (1009 over its size, 1007):
          // this one may be it, and sending it again would be refused again, on every reconnect.
          if (publish.sent && isRefusedMessageCloseCode(lost?.closeCode ?? 0)) {
            fail(naming(subject, lost as ClientError))
            return false
          }
          waiting.add(publish)
          timer()
          return true
        },
        answer(answer) {
          if (answer.type === 'ack') {
            timer()
            resolve({ epoch: answer.epoch ?? '', seq: answer.seq ?? 0, duplicate: !!answer.duplicate })
          } else if (answer.type !== 'error') {
            // Only an ack or an error answers a publish: another frame with its id is the server's bug.
            fail(error('INTERNAL', `answered with a ${answer.type} frame`))
          } else if (isRetryLater(answer.code)) {
            // Not published: send it again (same id) once the server's bucket has room or its
            // engine is back. A drop in between clears this timer; the reconnect resends it.
            answers.add(id, publish)
            timer(answer.retryAfterMs ?? 1000, send)
          } else fail(new ClientError(answer.code, `${subject}: ${answer.message}`, { ...answer, topic }))
        },
        fail: (reason) => fail(naming(subject, reason)),
      }
      // The earlier publish under this id is named by its own `fail`.
      answers
        .get(id)
        ?.fail?.(new ClientError('BAD_REQUEST', 'its id was reused by a publish before it was acknowledged'))
      answers.add(id, publish)
      if (open) send()
      else {
        waiting.add(publish)
        // Only a publish never sent goes STALE: one sent may have reached the server, so it is
        // resent however old. Sending clears this timer (and a drop leaves none behind, as every
        // publish was sent while the connection was open).
        timer(maxAgeMs, () => fail(error('STALE', `not sent in ${maxAgeMs} ms`)))
      }
    })
  }
}
