/**
 * Where an event sits in its topic's log: `seq` counts from 1 within one log instance,
 * named by `epoch`. A position of another epoch is not comparable: the log was replaced
 * (a restart of the in-memory engine, a flushed Redis stream) and the gap is unknown.
 */
export interface Position {
  epoch: string
  seq: number
}

/** The characters an epoch may contain: it travels in `Last-Event-ID` and in URLs. */
export const EPOCH_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

/**
 * Compares two positions of the same topic.
 *
 * @returns a negative number, zero or a positive number as `a` is before, at or after `b`;
 *   `null` when the epochs differ and the positions cannot be ordered.
 * @example
 * comparePositions({ epoch: 'e1', seq: 4 }, { epoch: 'e1', seq: 9 }) // -5
 * comparePositions({ epoch: 'e1', seq: 4 }, { epoch: 'e2', seq: 1 }) // null
 */
export function comparePositions(a: Position, b: Position): number | null {
  if (a.epoch !== b.epoch) return null
  return a.seq - b.seq
}

/**
 * Formats a position as `epoch:seq`, the form used by SSE `id:` lines and `Last-Event-ID`.
 *
 * @example formatPosition({ epoch: 'k2x', seq: 42 }) // 'k2x:42'
 */
export function formatPosition(position: Position): string {
  return `${position.epoch}:${position.seq}`
}

/**
 * Parses `epoch:seq`; returns null for anything else (it comes from untrusted headers).
 *
 * @example parsePosition('k2x:42') // { epoch: 'k2x', seq: 42 }
 */
export function parsePosition(text: string): Position | null {
  const colon = text.lastIndexOf(':')
  if (colon <= 0) return null
  const epoch = text.slice(0, colon)
  const digits = text.slice(colon + 1)
  if (!EPOCH_PATTERN.test(epoch) || !/^(0|[1-9][0-9]{0,15})$/.test(digits)) return null
  const seq = Number(digits)
  return Number.isSafeInteger(seq) ? { epoch, seq } : null
}

/** True for a `seq` the protocol accepts: a safe non-negative integer. */
export function isSeq(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}
