import { wallClockMs } from '../lib/clock.ts'

/**
 * Counts the events every subscriber of the load generator receives and, in latency mode,
 * keeps one publish-to-receive sample per delivery. Shared by all subscribers of the process.
 */
export class Recorder {
  latencyMode = false
  received = 0
  bytes = 0
  firstAt = 0
  lastAt = 0
  #samples = new Float64Array(0)
  #sampleCount = 0

  arm(options: { latency: boolean; expected: number }): void {
    this.latencyMode = options.latency
    this.received = 0
    this.bytes = 0
    this.firstAt = 0
    this.lastAt = 0
    this.#sampleCount = 0
    if (options.latency && this.#samples.length < options.expected)
      this.#samples = new Float64Array(options.expected)
  }

  /** Records `count` events that arrived together in one message or chunk. */
  events(count: number): void {
    if (count === 0) return
    const now = wallClockMs()
    if (this.received === 0) this.firstAt = now
    this.lastAt = now
    this.received += count
  }

  /** Records one event with its publish time (latency mode). */
  eventSentAt(sentAt: number, receivedAt: number): void {
    if (this.received === 0) this.firstAt = receivedAt
    this.lastAt = receivedAt
    this.received++
    if (this.#sampleCount < this.#samples.length) this.#samples[this.#sampleCount++] = receivedAt - sentAt
  }

  /** The latency samples (ms), sorted ascending. */
  sortedSamples(): Float64Array {
    return this.#samples.subarray(0, this.#sampleCount).sort()
  }
}
