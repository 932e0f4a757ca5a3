import type {
  AckFrame,
  ClientFrame,
  ErrorFrame,
  EventKind,
  Json,
  JsonObject,
  PublishFrame,
} from '@sluice/protocol'
import { ClientError } from './client-error'
import type { TimerHandle, TimerProvider } from './timers'

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

interface PendingPublish {
  frame: PublishFrame
  /** On the wire now; cleared when the connection drops (it is resent on the next open). */
  sent: boolean
  /** Sent at least once: the server may have it, so it is resent however old, never STALE. */
  everSent: boolean
  timeoutMs: number
  timer: TimerHandle
  resolve(result: PublishResult): void
  reject(error: ClientError): void
}

export interface PublishDeps {
  send(frame: ClientFrame): void
  isOpen(): boolean
  nextId(): string
  timers: TimerProvider
  defaultTimeoutMs: number
  queue: Required<OfflineQueueOptions>
}

/**
 * Publishes with at-least-once delivery and exactly-once effect: every publish keeps its id
 * until acknowledged and is sent again, with that same id, after each reconnect; the server's
 * dedup window turns the repeats into `duplicate: true` acks. Publishes issued while not
 * connected wait in a bounded queue (QUEUE_FULL, STALE) and go out in order on open.
 */
export function createPublisher(deps: PublishDeps) {
  const pending = new Map<string, PendingPublish>()

  const clearTimer = (entry: PendingPublish) => {
    if (entry.timer !== null) deps.timers.clearTimeout(entry.timer)
    entry.timer = null
  }

  const fail = (entry: PendingPublish, error: ClientError) => {
    clearTimer(entry)
    pending.delete(entry.frame.id)
    entry.reject(error)
  }

  const transmit = (entry: PendingPublish) => {
    entry.sent = true
    entry.everSent = true
    clearTimer(entry)
    entry.timer = deps.timers.setTimeout(
      () =>
        fail(
          entry,
          new ClientError('TIMEOUT', `publish ${entry.frame.id} got no ack within ${entry.timeoutMs} ms`, {
            topic: entry.frame.topic,
          }),
        ),
      entry.timeoutMs,
    )
    deps.send(entry.frame)
  }

  // A publish waiting for a connection goes STALE at its max age, even while still offline.
  const expireLater = (entry: PendingPublish) => {
    clearTimer(entry)
    const { maxAgeMs } = deps.queue
    entry.timer = deps.timers.setTimeout(() => {
      entry.timer = null
      if (entry.sent || entry.everSent || pending.get(entry.frame.id) !== entry) return
      fail(
        entry,
        new ClientError('STALE', `publish ${entry.frame.id} waited ${maxAgeMs} ms for a connection`, {
          topic: entry.frame.topic,
        }),
      )
    }, maxAgeMs)
  }

  function publish(topic: string, event: PublishEvent, options: PublishOptions = {}): Promise<PublishResult> {
    const open = deps.isOpen()
    if (!open) {
      let waiting = 0
      for (const entry of pending.values()) if (!entry.sent) waiting++
      if (waiting >= deps.queue.maxSize) {
        return Promise.reject(
          new ClientError('QUEUE_FULL', `offline queue holds ${deps.queue.maxSize} publishes already`, {
            topic,
          }),
        )
      }
    }
    const frame: PublishFrame = { type: 'publish', id: options.id ?? deps.nextId(), topic, kind: event.kind }
    if (event.key !== undefined) frame.key = event.key
    if (event.data !== undefined) frame.data = event.data
    if (event.meta !== undefined) frame.meta = event.meta
    return new Promise<PublishResult>((resolve, reject) => {
      const entry: PendingPublish = {
        frame,
        sent: false,
        everSent: false,
        timeoutMs: options.timeoutMs ?? deps.defaultTimeoutMs,
        timer: null,
        resolve,
        reject,
      }
      const reused = pending.get(frame.id)
      if (reused) fail(reused, new ClientError('BAD_REQUEST', `publish id ${frame.id} was reused`, { topic }))
      pending.set(frame.id, entry)
      if (open) transmit(entry)
      else expireLater(entry)
    })
  }

  return {
    publish,
    onOpen(): void {
      for (const entry of [...pending.values()]) if (!entry.sent) transmit(entry)
    },
    onDrop(): void {
      for (const entry of pending.values()) {
        entry.sent = false
        clearTimer(entry)
      }
    },
    onClosed(error: ClientError): void {
      for (const entry of [...pending.values()]) fail(entry, error)
    },
    /** Settles the publish an ack or error frame answers; false when the id is not a publish's. */
    handle(frame: AckFrame | ErrorFrame): boolean {
      const entry = frame.id === undefined ? undefined : pending.get(frame.id)
      if (!entry) return false
      if (frame.type === 'ack') {
        clearTimer(entry)
        pending.delete(entry.frame.id)
        entry.resolve({ epoch: frame.epoch ?? '', seq: frame.seq ?? 0, duplicate: frame.duplicate === true })
        return true
      }
      if (frame.code === 'RATE_LIMITED' && entry.sent) {
        // Not published: send it again (same id) once the server's bucket has room.
        clearTimer(entry)
        entry.timer = deps.timers.setTimeout(() => {
          entry.timer = null
          if (pending.get(entry.frame.id) === entry && deps.isOpen() && entry.sent) transmit(entry)
        }, frame.retryAfterMs ?? 1000)
        return true
      }
      fail(
        entry,
        new ClientError(frame.code, frame.message, { topic: frame.topic, retryAfterMs: frame.retryAfterMs }),
      )
      return true
    },
  }
}

export type Publisher = ReturnType<typeof createPublisher>
