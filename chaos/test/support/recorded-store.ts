/**
 * A client subscription whose store is a real `crud` store, recorded on the way in: every event
 * the store applies, every resync reported to it (with its reason) and every (re)load with the
 * position the store was reloaded at, in the order the store saw them. The history check
 * (history-check.ts) reads the record; the store's own data is compared with it at the end.
 *
 * The store resyncs through `load`, the app's own loader: it runs on the first confirmation and
 * after every resync, and the store adopts the position the server gave with it, so the record
 * shows exactly where each (re)load put the store. The backend of these tests keeps no state of
 * its own, so the loader returns an empty list: what the store holds afterwards is exactly the
 * events applied since, which the final comparison checks.
 */
import { type CrudState, crud, type SluiceClient, type Subscription } from '@sluice/client'
import type { ResyncReason } from '@sluice/protocol'

/** The data of every test event: its publish id (also its crud key) and its number on its topic. */
export interface TestItem {
  id: string
  n: number
}

export type HistoryEntry =
  | { type: 'load'; epoch: string; seq: number }
  | { type: 'resync'; reason: ResyncReason }
  | { type: 'event'; epoch: string; seq: number; id: string }

export interface StoreHistory {
  /** Client and topic, for messages: "sse-3/t1". */
  name: string
  topic: string
  entries: HistoryEntry[]
}

export interface RecordedStore {
  history: StoreHistory
  sub: Subscription<CrudState<TestItem>>
}

/** Subscribes `client` to `topic` with a recorded crud store named `name` in messages. */
export function recordedStore(client: SluiceClient, topic: string, name: string): RecordedStore {
  const history: StoreHistory = { name, topic, entries: [] }
  const push = (entry: HistoryEntry) => {
    history.entries.push(entry)
  }
  const items = crud<TestItem>({ key: 'id' })
  // Set when the store takes a loaded snapshot; the notification that follows carries its position.
  let reloaded = false
  const sub = client.subscribe(topic, {
    merge: {
      initial: items.initial,
      apply(state, events) {
        for (const event of events) {
          push({
            type: 'event',
            epoch: event.epoch,
            seq: event.seq,
            id: (event.data as unknown as TestItem).id,
          })
        }
        return items.apply(state, events)
      },
      fromSnapshot(data) {
        reloaded = true
        return (items.fromSnapshot as NonNullable<typeof items.fromSnapshot>)(data)
      },
    },
    load: async () => [],
    onResync: (reason) => push({ type: 'resync', reason }),
  })
  // The reload sets data, position and `live` in one notification, before the events held
  // during the load are applied (in a later flush).
  sub.$state.listen((state) => {
    if (!reloaded) return
    reloaded = false
    // Without a position (never seen) the check reports a load in an epoch the server never had.
    const { epoch, seq } = state.position ?? { epoch: '(none)', seq: -1 }
    push({ type: 'load', epoch, seq })
  })
  return { history, sub }
}

/** The ids of the events applied since the store's last (re)load: what its data must hold. */
export function idsSinceLastLoad(history: StoreHistory): string[] {
  const ids: string[] = []
  for (const entry of history.entries) {
    if (entry.type === 'load') ids.length = 0
    else if (entry.type === 'event') ids.push(entry.id)
  }
  return ids
}
