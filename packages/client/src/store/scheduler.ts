import type { Scheduler } from './types'

/**
 * Flushes at the end of the current task, so a burst of frames decoded from one socket
 * message (or one read of an SSE stream) becomes one store update.
 *
 * @example createClient({ url, scheduler: microtaskScheduler })
 */
export const microtaskScheduler: Scheduler = {
  // Looked up at call time (not captured at import) so fake timers and polyfills apply.
  schedule: (flush) => queueMicrotask(flush),
}

// The package compiles without the DOM lib; these are the only browser globals it touches.
interface FrameGlobals {
  requestAnimationFrame?: (callback: () => void) => number
  cancelAnimationFrame?: (handle: number) => void
}

/**
 * Flushes right before the next paint, at most once per frame: cheapest for UIs that
 * receive many events per second. Where `requestAnimationFrame` does not exist (Node, web
 * workers, SSR) it falls back to a macrotask. In a background tab, where frames stop, a
 * timer flushes within 250 ms (or the browser's timer throttling).
 *
 * @example createClient({ url, scheduler: 'animationFrame' })
 */
export const animationFrameScheduler: Scheduler = {
  schedule(flush) {
    const host = globalThis as FrameGlobals
    if (!host.requestAnimationFrame) return void setTimeout(flush, 0)
    let done = false
    let frame: number | undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    const run = () => {
      if (done) return
      done = true
      host.cancelAnimationFrame?.(frame!)
      clearTimeout(timer)
      flush()
    }
    // Called as a method: an unbound requestAnimationFrame throws 'Illegal invocation'. A frame
    // that runs at once (some polyfills) leaves a timer that finds the flush done.
    frame = host.requestAnimationFrame(run)
    // How long a hidden tab may hold events before they are applied anyway. Browsers stop
    // firing requestAnimationFrame in background tabs; without this fallback the queue would
    // grow for as long as the tab stays hidden and be applied in one huge batch on return.
    timer = setTimeout(run, 250)
  },
}

/** The `scheduler` option of {@link createClient}: a preset name or your own {@link Scheduler}. */
export type SchedulerOption = 'microtask' | 'animationFrame' | Scheduler

/**
 * Turns the `scheduler` option into a {@link Scheduler}.
 *
 * @param option - `'microtask'` (default), `'animationFrame'` or a custom scheduler.
 * @returns {@link microtaskScheduler}, {@link animationFrameScheduler} or `option` itself.
 */
export function resolveScheduler(option: SchedulerOption = 'microtask'): Scheduler {
  const scheduler =
    option === 'microtask'
      ? microtaskScheduler
      : option === 'animationFrame'
        ? animationFrameScheduler
        : option
  // Misuse is reported in development only; production bundles skip the check and its message.
  if (
    typeof process !== 'undefined' &&
    process.env.NODE_ENV !== 'production' &&
    typeof scheduler?.schedule !== 'function'
  ) {
    throw new TypeError(
      `scheduler must be 'microtask', 'animationFrame' or an object with a schedule(flush) method; received ${String(option)}`,
    )
  }
  return scheduler
}
