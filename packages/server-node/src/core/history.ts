import {
  DEFAULT_HISTORY_PAGE,
  type EventFrame,
  type HistoryFrame,
  type HistoryPageFrame,
} from '@sluice/protocol'
import { authorizeTopic } from './authorize'
import type { Connection } from './connection'
import { readHistoryPage } from './history-page'

/**
 * The history command (PROTOCOL.md § `history`): one page of the topic's log before the
 * position a client holds, for a store's "load more". Authorized as a subscribe, since it
 * reads what a subscription would have delivered, and filtered like the connection's
 * subscription to the topic, if it has one.
 */
export async function history(connection: Connection, frame: HistoryFrame): Promise<void> {
  const { runtime } = connection
  const { id, topic, before } = frame
  const limit = frame.limit ?? DEFAULT_HISTORY_PAGE
  await authorizeTopic(runtime, connection.identity, topic, 'subscribe', connection.id)
  const { engine } = runtime
  const start = Math.max(0, before.seq - 1 - limit)
  const read = await engine.readAfter(topic, { epoch: before.epoch, seq: start })
  let page: HistoryPageFrame
  if (read.ok && before.seq - 1 > read.head) page = end(frame, read.epoch, [], 'ahead')
  else if (read.ok) {
    const events = read.events.filter((event) => event.seq < before.seq)
    page =
      start > 0
        ? { type: 'history', id, topic, epoch: read.epoch, events: [], hasMore: true, next: start + 1 }
        : end(frame, read.epoch, [], 'log_start')
    page.events = filtered(connection, topic, events)
  } else if (read.reason === 'too_old') {
    // The ring starts after `start`: what it still holds before `before`, and no more pages.
    const oldest = await readHistoryPage(engine, topic, undefined, Number.MAX_SAFE_INTEGER)
    page =
      oldest.resync === undefined && oldest.epoch === before.epoch
        ? end(
            frame,
            oldest.epoch,
            filtered(
              connection,
              topic,
              oldest.events.filter((event) => event.seq < before.seq),
            ),
            'too_old',
          )
        : end(frame, oldest.epoch, [], 'epoch_changed')
  } else page = end(frame, read.epoch, [], read.reason)
  connection.sendFrame(page)
}

function end(
  frame: HistoryFrame,
  epoch: string,
  events: EventFrame[],
  reason: NonNullable<HistoryPageFrame['end']>,
): HistoryPageFrame {
  return { type: 'history', id: frame.id, topic: frame.topic, epoch, events, hasMore: false, end: reason }
}

// The page passes the filter the connection's subscription applies to the topic's live events.
function filtered(connection: Connection, topic: string, events: EventFrame[]): EventFrame[] {
  const predicate = connection.subscriptions.get(topic)?.predicate
  return predicate ? events.filter((event) => predicate(event.meta)) : events
}
