import type { ErrorCode, EventFrame, Json, Position } from '@sluice/protocol'
import { atom } from 'nanostores'
import type {
  MergeStrategy,
  OptimisticEvent,
  Scheduler,
  SubscriptionSink,
  SubscriptionState,
  SubscriptionStatus,
} from './types'

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
}

interface Pending {
  frame: EventFrame
  confirmed: boolean
}

/**
 * The state before anything arrives: `initialData` if given, else `merge.initial()`. Bindings
 * use it to render on the server, where nothing subscribes.
 */
export function initialSubscriptionState<TData>(
  merge: MergeStrategy<TData>,
  initialData?: TData,
  initialPosition: Position | null = null,
): SubscriptionState<TData> {
  const seeded = initialData !== undefined
  return {
    data: seeded ? initialData : merge.initial(),
    status: 'idle',
    error: null,
    position: seeded ? initialPosition : null,
  }
}

function fromSnapshot<TData>(merge: MergeStrategy<TData>, data: Json): TData {
  return merge.fromSnapshot ? merge.fromSnapshot(data) : (data as TData)
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
  const start = initialSubscriptionState(merge, options.initialData, options.initialPosition ?? null)
  const $state = atom<SubscriptionState<TData>>(start)

  let confirmed = start.data
  let position = start.position
  // Two arrays swapped on each flush, so a steady stream of events allocates no queue arrays.
  let queue: EventFrame[] = []
  let spare: EventFrame[] = []
  let scheduled = false
  let pending: Pending[] = []

  const visible = (): TData => {
    if (pending.length === 0) return confirmed
    const frames = new Array<EventFrame>(pending.length)
    for (let i = 0; i < pending.length; i++) frames[i] = pending[i]!.frame
    return merge.apply(confirmed, frames)
  }

  const publish = (status: SubscriptionStatus, error: SubscriptionState<TData>['error']) => {
    const current = $state.get()
    let data: TData
    try {
      data = visible()
    } catch (failure) {
      // An optimistic event the strategy cannot apply: show the confirmed state and say why.
      data = confirmed
      status = 'error'
      error = { code: 'INTERNAL', message: mergeFailure(failure) }
    }
    if (
      data === current.data &&
      position === current.position &&
      status === current.status &&
      error === current.error
    )
      return
    $state.set({ data, status, error, position })
  }

  const confirms = (optimistic: EventFrame, event: EventFrame): boolean => {
    if (optimistic.publishId !== undefined) return optimistic.publishId === event.publishId
    return optimistic.key !== undefined && optimistic.key === event.key && optimistic.kind === event.kind
  }

  // Each server event confirms at most one optimistic event: the oldest one it matches.
  const settle = (events: readonly EventFrame[]) => {
    if (pending.length === 0) return
    let removed = false
    for (const event of events) {
      for (const entry of pending) {
        if (!entry.confirmed && confirms(entry.frame, event)) {
          entry.confirmed = true
          removed = true
          break
        }
      }
    }
    if (removed) pending = pending.filter((entry) => !entry.confirmed)
  }

  const applyQueue = (): boolean => {
    if (queue.length === 0) return false
    const events = queue
    queue = spare
    spare = events
    const last = events[events.length - 1]!
    try {
      confirmed = merge.apply(confirmed, events)
    } catch (error) {
      events.length = 0
      // A throwing reducer is a bug in application code; surface it on the subscription
      // instead of losing it in a scheduler callback, and keep the last good state.
      const current = $state.get()
      $state.set({ ...current, status: 'error', error: { code: 'INTERNAL', message: mergeFailure(error) } })
      return false
    }
    position = { epoch: last.epoch, seq: last.seq }
    settle(events)
    events.length = 0
    return true
  }

  const flush = () => {
    scheduled = false
    if (!applyQueue()) return
    const current = $state.get()
    publish(current.status, current.error)
  }

  return {
    $state,

    pushEvents(events) {
      if (events.length === 0) return
      for (let i = 0; i < events.length; i++) queue.push(events[i]!)
      if (!scheduled) {
        scheduled = true
        scheduler.schedule(flush)
      }
    },

    setSnapshot(data, at) {
      try {
        confirmed = fromSnapshot(merge, data)
      } catch (error) {
        const current = $state.get()
        $state.set({ ...current, status: 'error', error: { code: 'INTERNAL', message: mergeFailure(error) } })
        return
      }
      position = at
      if (at !== null && queue.length > 0) {
        // A snapshot supersedes what it already contains, and everything from another log.
        queue = queue.filter((event) => event.epoch === at.epoch && event.seq > at.seq)
      }
      // Events already queued after the snapshot go out with it: one notification, no
      // intermediate state where the snapshot shows without them.
      applyQueue()
      const current = $state.get()
      publish(current.status, current.error)
    },

    setStatus(status, error = null) {
      const current = $state.get()
      if (status === current.status && sameError(error, current.error)) return
      $state.set({ ...current, status, error })
    },

    optimistic(event) {
      const entry: Pending = {
        frame: { ...event, type: 'event', topic, epoch: '', seq: 0, ts: now() },
        confirmed: false,
      }
      pending = [...pending, entry]
      const current = $state.get()
      publish(current.status, current.error)
      return () => {
        const index = pending.indexOf(entry)
        if (index === -1) return
        pending = pending.filter((other) => other !== entry)
        const latest = $state.get()
        publish(latest.status, latest.error)
      }
    },

    reset() {
      confirmed = merge.initial()
      position = null
      queue.length = 0
      pending = []
      const current = $state.get()
      publish(current.status, current.error)
    },
  }
}

function sameError(
  a: { code: ErrorCode; message: string } | null,
  b: { code: ErrorCode; message: string } | null,
): boolean {
  return a === b || (a !== null && b !== null && a.code === b.code && a.message === b.message)
}

function mergeFailure(error: unknown): string {
  return `merge strategy threw: ${error instanceof Error ? error.message : String(error)}`
}
