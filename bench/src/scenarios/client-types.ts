/** Scenario 4: one catch-up after a reconnect. */
export interface ResumeRun {
  missed: number
  /** Events the client held after catching up (must equal `missed`). */
  received: number
  /** From the reconnect's TCP accept to the last missed event in the client's state. */
  ms: number
  /** Bytes the server sent on the reconnect's connection until then (handshake included). */
  bytes: number
  /** Whether the library reported the catch-up as a recovery (Socket.IO's `socket.recovered`). */
  recovered: boolean
}

/** Scenario 5a: merge cost on a keyed list of `size` items. */
export interface MergeRun {
  size: number
  /** updates/s, one `apply` per update (each event flushed on its own). */
  crudSingle: number[]
  /**
   * updates/s, one `apply` per update followed by reading `items` (what a component rendering
   * `data.items` does after every flush; `crud` builds that array lazily). Absent in old results.
   */
  crudSingleRead?: number[]
  /** updates/s, events applied in batches of 100 (a burst flushed once). */
  crudBatch100: number[]
  /** updates/s of the naive baseline: find the item and copy the array per update. */
  naive: number[]
}

/** Scenario 5b: a burst of events end to end, server → client store → React. */
export interface ClientBurstRun {
  events: number
  transport: 'ws' | 'sse'
  /** Times the subscription store notified its listeners during the burst. */
  storeNotifications: number
  /** Times the React component using `useRealtime` rendered during the burst. */
  reactRenders: number
  /** Items rendered at the end (must equal `events`). */
  itemsRendered: number
  ms: number
}
