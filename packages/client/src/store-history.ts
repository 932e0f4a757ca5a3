import type { EventFrame, HistoryEnd, Position } from '@sluice/protocol'
import { atom, type ReadableAtom } from 'nanostores'
import type { AnswerFrame, Awaited, AwaitedAnswers } from './awaited-answers'
import { ClientError, naming } from './client-error'

/** Where loading a store's older events stands (`sub.$history`). */
export interface HistoryState {
  /** The log may hold events older than the store's: `loadMore()` would bring some. */
  hasMore: boolean
  /** A page is on its way. */
  loading: boolean
  /**
   * Why nothing older comes, once a page said so: `log_start` (the store holds the log from its
   * first event), `too_old` (the server's log evicted the rest), `epoch_changed` or `ahead` (the
   * log was replaced). Null while there may be more, or when the store cannot page (its state
   * came from a snapshot or `load()`, which already hold the past, or after a resync).
   */
  end: HistoryEnd | null
}

export interface StoreHistoryDeps {
  answers: AwaitedAnswers
  send(frame: { type: 'history'; id: string; topic: string; before: Position; limit?: number }): void
  isOpen(): boolean
  nextId(): string
}

const NONE: HistoryState = { hasMore: false, loading: false, end: null }

/**
 * The older pages of one store (PROTOCOL.md § `history`): from the position its state was built
 * from, back page by page. Only a store built from events alone since a subscribe from the head
 * can page (its strategy must merge older events: `crud`, `latest`); a snapshot, a `load()` or
 * a resync ends it. A page is a read, safe to send again: one lost with its connection is sent
 * on the next. A page answered after the store started over is dropped.
 *
 * @param pushOlder merges a page's events into the store; null when its strategy cannot (no `older`)
 */
export function createStoreHistory(
  topic: string,
  pushOlder: ((events: readonly EventFrame[]) => void) | null,
  { answers, send, isOpen, nextId }: StoreHistoryDeps,
) {
  const $history = atom<HistoryState>(NONE)
  let before: Position | null = null
  let pending: Promise<HistoryEnd | null> | undefined
  // A new start voids the pages asked for before it.
  let generation = 0

  const startAt = (at: Position | null) => {
    generation++
    pending = undefined
    before = pushOlder && at && { epoch: at.epoch, seq: at.seq + 1 }
    $history.set(
      before && at ? { hasMore: at.seq > 0, loading: false, end: at.seq > 0 ? null : 'log_start' } : NONE,
    )
  }

  return {
    $history: $history as ReadableAtom<HistoryState>,
    /** The store's state is built from the events after `at` (null: it cannot page). */
    startAt,

    /**
     * Loads the page before the oldest event the store holds and merges it in; resolves with
     * the page's `end` (null when more may follow). While a page is on its way, returns it.
     */
    loadMore(limit?: number): Promise<HistoryEnd | null> {
      if (pending) return pending
      const from = before
      if (!from || !$history.get().hasMore) return Promise.resolve($history.get().end)
      const started = generation
      $history.set({ ...$history.get(), loading: true })
      pending = new Promise<HistoryEnd | null>((resolve, reject) => {
        const id = nextId()
        const sendPage = () => {
          page.sent = true
          send({ type: 'history', id, topic, before: from, limit })
        }
        const page: Awaited = {
          send: sendPage,
          // A read: sent again on the next connection.
          drop: () => true,
          answer(frame: AnswerFrame) {
            if (started !== generation) return resolve(null)
            pending = undefined
            if (frame.type !== 'history') {
              $history.set({ ...$history.get(), loading: false })
              // Only a page or an error answers a history command: another frame is the server's bug.
              return reject(
                frame.type === 'error'
                  ? new ClientError(frame.code, `loadMore ${topic}: ${frame.message}`, frame)
                  : new ClientError('INTERNAL', `loadMore ${topic}: answered with a ${frame.type} frame`),
              )
            }
            const { events, hasMore, next, end = null } = frame
            pushOlder?.(events)
            before = next === undefined ? null : { epoch: from.epoch, seq: next }
            $history.set({ hasMore, loading: false, end })
            resolve(end)
          },
          fail(error: ClientError) {
            if (started === generation) pending = undefined
            reject(naming(`loadMore ${topic}`, error))
          },
        }
        answers.add(id, page)
        if (isOpen()) sendPage()
      })
      return pending
    },
  }
}

export type StoreHistory = ReturnType<typeof createStoreHistory>
