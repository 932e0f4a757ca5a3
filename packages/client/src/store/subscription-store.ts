import type { EventFrame, Position, ResyncReason } from '@sluice/protocol'
import { atom } from 'nanostores'
import { initialSubscriptionState } from '../initial-subscription-state'
import type { MergeStrategy, OptimisticEvent, Scheduler, SubscriptionSink } from './types'

/** Options of {@link createSubscriptionStore}. */
export interface SubscriptionStoreOptions<TData> {
  /** How events and snapshots become `data`. */
  merge: MergeStrategy<TData>
  /** When queued events are applied. */
  scheduler: Scheduler
  /**
   * State to start from instead of `merge.initial()`, e.g. rendered on the server. It is used
   * as is; to start from snapshot-shaped JSON (an items array for `crud`), pass
   * `merge.fromSnapshot(json)` or call {@link hydrate} on the store.
   */
  initialData?: TData
  /** The log position `initialData` was taken at, so the connection layer can resume after it. */
  initialPosition?: Position | null
  /** The topic written into optimistic events, for reducers that read `event.topic`. @default '' */
  topic?: string
  /** Clock for the `ts` of optimistic events. @default Date.now */
  now?: () => number
}

/** The store of one subscription: what the connection layer writes and what UIs read. */
export interface SubscriptionStore<TData> extends SubscriptionSink<TData> {
  /**
   * Shows `event` at once, on top of the confirmed state, until the server confirms it (see
   * {@link OptimisticEvent}) or the returned function rolls it back.
   */
  optimistic(event: OptimisticEvent): () => void
  /** Forgets data, position, queued events and optimistic changes (a log lost with no snapshot). */
  reset(): void
  /** Merges a page of older events under the state (`merge.older`); the position stays. */
  pushOlder(events: readonly EventFrame[]): void
}

/**
 * Creates the store of one subscription on a nanostores atom. Events pushed in one tick are
 * applied by one `merge.apply` call and one `set`, so a burst of a thousand events notifies
 * subscribers once. Optimistic events live beside the confirmed state: the visible `data` is
 * the confirmed state with the still-pending optimistic events applied on top.
 *
 * @example
 * const store = createSubscriptionStore({ merge: crud<Todo>(), scheduler: microtaskScheduler })
 * store.$state.listen((state) => render(state.data.items))
 * store.pushEvents(frames)
 */
export function createSubscriptionStore<TData>(
  options: SubscriptionStoreOptions<TData>,
): SubscriptionStore<TData> {
  const { merge, scheduler, topic = '', now = Date.now } = options
  const $state = atom(initialSubscriptionState(options))
  let { data: confirmed, position } = $state.get()
  // Reused across flushes, so a steady stream of events allocates no queue arrays.
  let queue: EventFrame[] = []
  // Optimistic events not confirmed yet, oldest first.
  const pending: EventFrame[] = []
  // The keys of the events applied since the state started, for `merge.older`: an older page
  // must not bring back what a newer event changed or deleted. Kept only by strategies that page.
  const newer = merge.older && new Set<string>()

  const setStatus: SubscriptionSink<TData>['setStatus'] = (status, error = null) => {
    const current = $state.get()
    if (status !== current.status || JSON.stringify(error) !== JSON.stringify(current.error))
      $state.set({ ...current, status, error })
  }

  const setStale = (stale: ResyncReason | null) => {
    if (stale !== $state.get().stale) $state.set({ ...$state.get(), stale })
  }

  // Applies the queue (after `change`, if any) and shows the result with the optimistic events on
  // top; notifies only when something changed.
  const update = (change?: () => void) => {
    const current = $state.get()
    try {
      change?.()
      const last = queue.at(-1)
      if (last) {
        confirmed = merge.apply(confirmed, queue)
        position = { epoch: last.epoch, seq: last.seq }
        if (newer) for (const event of queue) if (event.key !== undefined) newer.add(event.key)
        // Each server event confirms at most one optimistic event: the oldest one it matches.
        // (Usually there are none: no search, no callback per event.)
        if (pending.length)
          for (const event of queue) {
            const index = pending.findIndex((optimistic) =>
              optimistic.publishId
                ? optimistic.publishId === event.publishId
                : optimistic.key != null && optimistic.key === event.key && optimistic.kind === event.kind,
            )
            if (index >= 0) pending.splice(index, 1)
          }
        // Emptied before listeners run: events they cause go into the next flush.
        queue.length = 0
      }
      const data = pending.length ? merge.apply(confirmed, pending) : confirmed
      if (data !== current.data || position !== current.position) $state.set({ ...current, data, position })
    } catch (error) {
      queue.length = 0
      // A throwing reducer (or snapshot parser) is a bug in application code; surface it on the
      // subscription instead of losing it in a scheduler callback, and keep the last good state.
      setStatus('error', {
        code: 'INTERNAL',
        message: `merge strategy threw: ${error instanceof Error ? error.message : String(error)}`,
      })
    }
  }

  return {
    $state,

    pushEvents(events) {
      // One flush per burst: scheduled by the first event into an empty queue. (A snapshot or an
      // optimistic event that applies the queue early leaves that flush with nothing to do.)
      if (!queue.length && events.length) scheduler.schedule(() => update())
      for (const event of events) queue.push(event)
    },

    setSnapshot(data, at) {
      // Events already queued after the snapshot go out with it: one notification, no
      // intermediate state where the snapshot shows without them.
      update(() => {
        confirmed = merge.fromSnapshot ? merge.fromSnapshot(data) : (data as TData)
        position = at
        newer?.clear()
        // A snapshot supersedes what it already contains, and everything from another log.
        if (at) queue = queue.filter((event) => event.epoch === at.epoch && event.seq > at.seq)
      })
      setStale(null)
    },

    setStatus,
    setStale,

    optimistic(event) {
      const frame: EventFrame = { ...event, type: 'event', topic, epoch: '', seq: 0, ts: now() }
      pending.push(frame)
      update()
      return () => {
        const index = pending.indexOf(frame)
        if (index < 0) return
        pending.splice(index, 1)
        update()
      }
    },

    pushOlder(events) {
      const older = merge.older
      if (!older || !events.length) return
      update(() => {
        confirmed = older(confirmed, events, newer as Set<string>)
      })
    },

    reset() {
      newer?.clear()
      confirmed = merge.initial()
      position = null
      queue.length = pending.length = 0
      update()
      setStale(null)
    },
  }
}
