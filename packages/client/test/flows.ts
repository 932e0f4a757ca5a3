/**
 * Server frames and subscribe flows as tests state them, with the defaults every test shares
 * (epoch `e1`, `created` events keyed by seq), so a test says which frames come rather than how
 * to build them; and the observers that record what a store went through. Used with the fake
 * server (test/fake-server.ts) and the msw one (test/msw/mock-sluice.ts) alike.
 *
 * A `subscribed` built here has no id: both fake servers give it the id of the last subscribe of
 * its topic, as a server answers it (test/echo-ids.ts).
 */
import type { EventFrame, Json, ResyncReason, ServerFrame, SubscribedFrame } from '@sluice/protocol'

export function event(topic: string, seq: number, epoch = 'e1', extra: Partial<EventFrame> = {}): EventFrame {
  return { type: 'event', topic, epoch, seq, kind: 'created', key: `k${seq}`, data: seq, ts: 0, ...extra }
}

/** Events `from..to` inclusive. */
export function events(topic: string, from: number, to: number, epoch = 'e1'): EventFrame[] {
  const out: EventFrame[] = []
  for (let seq = from; seq <= to; seq++) out.push(event(topic, seq, epoch))
  return out
}

/**
 * `subscribed` at the head `seq`. `follows` is what the server announces (PROTOCOL.md §
 * subscribed): the reason of a resync and/or a snapshot that come next; `id` answers an older
 * subscribe than the last one.
 */
export function subscribed(
  topic: string,
  seq: number,
  epoch = 'e1',
  id?: string,
  follows: { resync?: ResyncReason; snapshot?: true } = {},
): SubscribedFrame {
  return { type: 'subscribed', ...(id !== undefined && { id }), topic, epoch, seq, ...follows }
}

export function snapshot(topic: string, seq: number, data: Json, epoch = 'e1'): ServerFrame {
  return { type: 'snapshot', topic, epoch, seq, data }
}

export function resync(topic: string, reason: ResyncReason, seq: number, epoch = 'e1'): ServerFrame {
  return { type: 'resync', topic, reason, epoch, seq }
}

/** The opening frames of each subscribe flow (PROTOCOL.md § Subscribe flows), as one message. */
export const flow = {
  /** Flows 1 and 3: `subscribed` at the head, then the events given (a replay), if any. */
  live: (topic: string, head: number, replay: EventFrame[] = [], epoch = 'e1'): ServerFrame[] => [
    subscribed(topic, head, epoch),
    ...replay,
  ],
  /** Flow 2: a fresh subscription with the provider's snapshot at the head. */
  snapshot: (topic: string, head: number, data: Json, epoch = 'e1'): ServerFrame[] => [
    subscribed(topic, head, epoch, undefined, { snapshot: true }),
    snapshot(topic, head, data, epoch),
  ],
  /** Flow 4: a resume that cannot be replayed, with the snapshot when one is given. */
  resync: (topic: string, reason: ResyncReason, head: number, epoch = 'e1', data?: Json): ServerFrame[] => [
    subscribed(
      topic,
      head,
      epoch,
      undefined,
      data === undefined ? { resync: reason } : { resync: reason, snapshot: true },
    ),
    resync(topic, reason, head, epoch),
    ...(data === undefined ? [] : [snapshot(topic, head, data, epoch)]),
  ],
}

type Listenable<T> = { get(): T; listen(listener: (value: T) => void): unknown }

/** Every value an atom takes after this call, mapped. */
export function record<T, R>(store: Pick<Listenable<T>, 'listen'>, map: (value: T) => R): R[] {
  const seen: R[] = []
  store.listen((value) => {
    seen.push(map(value))
  })
  return seen
}

/** The statuses a subscription store goes through from now on (its current one first), without repeats. */
export function statuses(store: Listenable<{ status: string }>): string[] {
  const seen: string[] = [store.get().status]
  store.listen(({ status }) => {
    if (seen[seen.length - 1] !== status) seen.push(status)
  })
  return seen
}

/** Each new `data` a subscription store publishes after this call (status-only changes left out). */
export function dataChanges<T>(store: Listenable<{ data: T }>): T[] {
  const seen: T[] = []
  let last = store.get().data
  store.listen(({ data }) => {
    if (data === last) return
    last = data
    seen.push(data)
  })
  return seen
}
