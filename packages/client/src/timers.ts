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
 */
export function unlimitedTimers(base: TimerProvider): TimerProvider {
  return {
    setTimeout(callback, ms) {
      const slot: { handle: TimerHandle } = { handle: null }
      const arm = (left: number) => {
        slot.handle =
          left > MAX_TIMER_MS
            ? base.setTimeout(() => arm(left - MAX_TIMER_MS), MAX_TIMER_MS)
            : base.setTimeout(callback, left)
      }
      if (ms !== Number.POSITIVE_INFINITY) arm(ms)
      return slot
    },
    clearTimeout(slot) {
      const { handle } = slot as { handle: TimerHandle }
      if (handle !== null) base.clearTimeout(handle)
    },
    now: () => base.now(),
  }
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
