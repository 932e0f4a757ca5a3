import { wallClockMs } from './clock.ts'

/** The one topic every benchmark subscribes to. */
export const TOPIC = 'bench'

/**
 * Pads the event data so a delivered event frame is about 200 bytes on the wire (the issue's
 * "~200-byte events"); the exact per-target frame size is measured and reported.
 */
const BODY = 'x'.repeat(40)

/** What every target publishes: an index, the publish time for latency, and padding. */
export interface BenchData {
  i: number
  /** Wall-clock ms (fractional) when the server published the event. */
  sentAt: number
  body: string
}

/** @param sentAt the publish time to record; defaults to now */
export function benchData(i: number, sentAt: number = wallClockMs()): BenchData {
  return { i, sentAt, body: BODY }
}

const PEER_EPOCH = 'bench0epoch0'

/**
 * The frame the peer targets send, shaped like a Sluice `event` frame so every target moves
 * the same number of bytes per delivery.
 */
export function peerEventFrame(i: number, sentAt?: number): Record<string, unknown> {
  return {
    type: 'event',
    topic: TOPIC,
    epoch: PEER_EPOCH,
    seq: i + 1,
    kind: 'created',
    key: `k${i}`,
    data: benchData(i, sentAt),
    ts: Date.now(),
  }
}
