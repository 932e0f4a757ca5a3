import type { EventFrame, Json } from '@sluice/protocol'

let seq = 0

/** An event frame for merge tests; only kind, key and data matter to strategies. */
export function ev(kind: string, data?: unknown, key?: string): EventFrame {
  seq++
  return {
    type: 'event',
    topic: 't',
    epoch: 'e1',
    seq,
    kind,
    ts: 0,
    ...(key !== undefined && { key }),
    ...(data !== undefined && { data: data as Json }),
  }
}

/** Calls a strategy's fromSnapshot with typed test data (interfaces are not assignable to Json). */
export function snap<TData>(merge: { fromSnapshot?: (data: Json) => TData }, data: unknown): TData {
  return merge.fromSnapshot!(data as Json)
}
