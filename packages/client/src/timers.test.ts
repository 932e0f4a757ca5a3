import { describe, expect, test, vi } from 'vitest'
import { MAX_TIMER_MS, type TimerProvider, unlimitedTimers } from './timers'

// A provider that, like browsers and Node, fires anything longer than MAX_TIMER_MS after 1 ms.
function overflowingTimers(): TimerProvider & { delays: number[] } {
  const delays: number[] = []
  return {
    delays,
    setTimeout: (callback, ms) => {
      delays.push(ms)
      return globalThis.setTimeout(callback, ms > MAX_TIMER_MS ? 1 : ms)
    },
    clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
    now: () => Date.now(),
  }
}

describe('unlimitedTimers', () => {
  test('a delay beyond 2^31-1 ms fires once, on time, in steps the provider can hold', async () => {
    vi.useFakeTimers()
    const base = overflowingTimers()
    const fired = vi.fn()
    unlimitedTimers(base).setTimeout(fired, 2 * MAX_TIMER_MS + 5)
    await vi.advanceTimersByTimeAsync(2 * MAX_TIMER_MS + 4)
    expect(fired).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(fired).toHaveBeenCalledTimes(1)
    expect(base.delays).toEqual([MAX_TIMER_MS, MAX_TIMER_MS, 5])
    vi.useRealTimers()
  })

  test('clearing between steps cancels the remaining ones', async () => {
    vi.useFakeTimers()
    const timers = unlimitedTimers(overflowingTimers())
    const fired = vi.fn()
    const handle = timers.setTimeout(fired, 3 * MAX_TIMER_MS)
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS + 1)
    timers.clearTimeout(handle)
    await vi.advanceTimersByTimeAsync(3 * MAX_TIMER_MS)
    expect(fired).not.toHaveBeenCalled()
    vi.useRealTimers()
  })

  test('Infinity never fires and schedules nothing', () => {
    const base = overflowingTimers()
    const timers = unlimitedTimers(base)
    timers.clearTimeout(timers.setTimeout(() => {}, Number.POSITIVE_INFINITY))
    expect(base.delays).toEqual([])
  })
})
