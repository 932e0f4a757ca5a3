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

/** The longest delay browsers and Node honour; a longer one fires after about 1 ms instead. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Wraps a provider so that any delay works: one beyond {@link MAX_TIMER_MS} (a token valid
 * for 30 days, an offline queue that keeps publishes for weeks) is waited out in steps of at
 * most that, and `Infinity` never fires. Without it such delays fire at once.
 *
 * Its handles are cancel functions; clearing `undefined` or `null` (a timer never set) is a no-op.
 */
export function unlimitedTimers(base: TimerProvider): TimerProvider {
  return {
    setTimeout(callback, ms) {
      let handle: TimerHandle
      const arm = (left: number) => {
        handle =
          left > MAX_TIMER_MS
            ? base.setTimeout(() => arm(left - MAX_TIMER_MS), MAX_TIMER_MS)
            : base.setTimeout(callback, left)
      }
      if (ms < Infinity) arm(ms)
      return () => handle !== undefined && base.clearTimeout(handle)
    },
    clearTimeout: (cancel) => (cancel as (() => void) | null | undefined)?.(),
    now: () => base.now(),
  }
}

/** A re-armable timer: `timer(ms, callback)` cancels the previous one and arms it, `timer()` only cancels. */
export interface Timer {
  (): void
  (ms: number, callback: () => void): void
}

/** One {@link Timer} slot on a provider from {@link unlimitedTimers} (which accepts clearing nothing). */
export function createTimer(timers: TimerProvider): Timer {
  let handle: TimerHandle
  return (ms?: number, callback?: () => void) => {
    timers.clearTimeout(handle)
    handle = callback && timers.setTimeout(callback, ms as number)
  }
}
