import { afterEach, describe, expect, it, vi } from 'vitest'
import { animationFrameScheduler, microtaskScheduler, resolveScheduler } from './scheduler'

afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
})

describe('microtaskScheduler', () => {
  it('runs the flush after the current task, before timers', async () => {
    const order: string[] = []
    setTimeout(() => order.push('timer'), 0)
    microtaskScheduler.schedule(() => order.push('flush'))
    order.push('sync')
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(order).toEqual(['sync', 'flush', 'timer'])
  })
})

describe('animationFrameScheduler', () => {
  it('falls back to a macrotask where requestAnimationFrame does not exist', () => {
    vi.useFakeTimers()
    vi.stubGlobal('requestAnimationFrame', undefined)
    const flush = vi.fn()
    animationFrameScheduler.schedule(flush)
    expect(flush).not.toHaveBeenCalled()
    vi.advanceTimersByTime(0)
    expect(flush).toHaveBeenCalledTimes(1)
  })

  it('flushes on the next frame, once, and cancels the hidden-tab timer', () => {
    vi.useFakeTimers()
    const frames: Array<() => void> = []
    const cancel = vi.fn()
    vi.stubGlobal('requestAnimationFrame', (callback: () => void) => frames.push(callback))
    vi.stubGlobal('cancelAnimationFrame', cancel)
    const flush = vi.fn()
    animationFrameScheduler.schedule(flush)
    expect(frames).toHaveLength(1)
    frames[0]!()
    expect(flush).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(1000)
    expect(flush).toHaveBeenCalledTimes(1)
    expect(cancel).toHaveBeenCalledWith(1)
  })

  it('flushes by timer when frames stop (background tab)', () => {
    vi.useFakeTimers()
    const frames: Array<() => void> = []
    vi.stubGlobal('requestAnimationFrame', (callback: () => void) => frames.push(callback))
    vi.stubGlobal('cancelAnimationFrame', () => {})
    const flush = vi.fn()
    animationFrameScheduler.schedule(flush)
    vi.advanceTimersByTime(249)
    expect(flush).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(flush).toHaveBeenCalledTimes(1)
    frames[0]!()
    expect(flush).toHaveBeenCalledTimes(1)
  })
})

describe('resolveScheduler', () => {
  it('maps names and passes custom schedulers through', () => {
    const own = { schedule: (flush: () => void) => flush() }
    expect(resolveScheduler()).toBe(microtaskScheduler)
    expect(resolveScheduler('microtask')).toBe(microtaskScheduler)
    expect(resolveScheduler('animationFrame')).toBe(animationFrameScheduler)
    expect(resolveScheduler(own)).toBe(own)
  })

  it('rejects anything else with the accepted values', () => {
    expect(() => resolveScheduler('idle' as never)).toThrow(
      new TypeError(
        "scheduler must be 'microtask', 'animationFrame' or an object with a schedule(flush) method; received idle",
      ),
    )
  })
})
