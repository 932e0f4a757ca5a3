/** Opaque handle of a scheduled timer. */
export type TimerHandle = unknown

/**
 * Where the client gets time from. Every timer and clock read goes through it so tests can
 * use fake timers or a hand-driven clock.
 */
export interface TimerProvider {
  setTimeout(callback: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
  now(): number
}

/**
 * The default provider. It looks the globals up on every call instead of capturing them at
 * import time, so `vi.useFakeTimers()` installed after the client was created still applies.
 */
export const defaultTimers: TimerProvider = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
}

/** One re-armable timer slot: arming it again cancels the previous timer. */
export function createTimer(timers: TimerProvider) {
  let handle: TimerHandle | null = null
  return {
    set(ms: number, callback: () => void): void {
      if (handle !== null) timers.clearTimeout(handle)
      handle = timers.setTimeout(() => {
        handle = null
        callback()
      }, ms)
    },
    clear(): void {
      if (handle !== null) timers.clearTimeout(handle)
      handle = null
    },
  }
}

export type Timer = ReturnType<typeof createTimer>
