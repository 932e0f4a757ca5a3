/** Where a source gets time from, so tests can drive it with fake timers. */
export interface TimerProvider {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
  now(): number
}

/**
 * The default provider. It looks the globals up on every call instead of capturing them at
 * import time, so `vi.useFakeTimers()` installed after the source was created still applies.
 */
export const defaultTimers: TimerProvider = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
}
