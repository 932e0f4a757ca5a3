import { type EventFrame, formatPosition, type Position, type ResyncReason } from '@sluice/protocol'
import type { Engine } from '../engine/types'

/** One page of a topic's log, as the operations API's history endpoint answers it. */
export interface HistoryPage {
  topic: string
  /** The log's current epoch and head when it was read. */
  epoch: string
  head: number
  /** At most `limit` events after the position read from, in seq order. */
  events: EventFrame[]
  /** Where the next page starts (`epoch:seq`, the last event's position), or null when the page reaches the head. */
  next: string | null
  /** Set when the log cannot be read from the position given: the same reasons as a `resync` frame. */
  resync?: ResyncReason
}

/**
 * Reads up to `limit` events of a topic after `from`, or, without `from`, from the oldest event
 * the log still holds.
 *
 * The engine has no "oldest" read: a ring evicts by count and by age, so the oldest position is
 * found by bisection on `readAfter`, whose `too_old` answer is monotonic in seq (a readable
 * position stays readable for every later seq of the epoch). That costs about log2(head) reads,
 * acceptable for an operator's call and paid only when the log's start was evicted.
 */
export async function readHistoryPage(
  engine: Pick<Engine, 'head' | 'readAfter'>,
  topic: string,
  from: Position | undefined,
  limit: number,
): Promise<HistoryPage> {
  let read = await engine.readAfter(topic, from ?? { epoch: (await engine.head(topic)).epoch, seq: 0 })
  if (!from && !read.ok && read.reason === 'too_old') {
    const { epoch } = read
    let unreadable = 0
    let readable = read.head
    let found = await engine.readAfter(topic, { epoch, seq: readable })
    while (found.ok && readable - unreadable > 1) {
      const middle = Math.floor((unreadable + readable) / 2)
      const attempt = await engine.readAfter(topic, { epoch, seq: middle })
      if (attempt.ok) {
        readable = middle
        found = attempt
      } else if (attempt.reason === 'too_old') unreadable = middle
      else found = attempt // the epoch changed meanwhile: answer that, as a read with `from` would
    }
    read = found
  }
  if (!read.ok) {
    return { topic, epoch: read.epoch, head: read.head, events: [], next: null, resync: read.reason }
  }
  const events = read.events.slice(0, limit)
  const last = events.at(-1)
  const more = read.events.length > limit && last !== undefined
  return {
    topic,
    epoch: read.epoch,
    head: read.head,
    events,
    next: more ? formatPosition({ epoch: read.epoch, seq: last.seq }) : null,
  }
}
