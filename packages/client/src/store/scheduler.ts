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

// How long a hidden tab may hold events before they are applied anyway. Browsers stop
// firing requestAnimationFrame in background tabs; without this fallback the queue would grow
// for as long as the tab stays hidden and be applied in one huge batch on return.
const HIDDEN_TAB_FALLBACK_MS = 250

// The package compiles without the DOM lib; these are the only browser globals it touches.
interface FrameGlobals {
  requestAnimationFrame?: (callback: () => void) => number
  cancelAnimationFrame?: (handle: number) => void
}

/**
 * Flushes right before the next paint, at most once per frame: cheapest for UIs that
 * receive many events per second. Where `requestAnimationFrame` does not exist (Node, web
 * workers, SSR) it falls back to a macrotask. In a background tab, where frames stop, a
 * timer flushes within {@link HIDDEN_TAB_FALLBACK_MS} (or the browser's timer throttling).
 *
 * @example createClient({ url, scheduler: 'animationFrame' })
 */
export const animationFrameScheduler: Scheduler = {
  schedule(flush) {
    const host = globalThis as FrameGlobals
    if (typeof host.requestAnimationFrame !== 'function') {
      setTimeout(flush, 0)
      return
    }
    let done = false
    let frame: number | undefined
    let timer: ReturnType<typeof setTimeout> | undefined
    const run = () => {
      if (done) return
      done = true
      if (frame !== undefined) host.cancelAnimationFrame?.(frame)
      clearTimeout(timer)
      flush()
    }
    // Called as a method: an unbound requestAnimationFrame throws 'Illegal invocation'.
    frame = host.requestAnimationFrame(run)
    if (!done) timer = setTimeout(run, HIDDEN_TAB_FALLBACK_MS)
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
  if (option === 'microtask') return microtaskScheduler
  if (option === 'animationFrame') return animationFrameScheduler
  // Misuse is reported in development only; production bundles skip the check and its message.
  if ((option && typeof option.schedule === 'function') || typeof process === 'undefined') return option
  if (process.env?.NODE_ENV === 'production') return option
  throw new TypeError(
    `scheduler must be 'microtask', 'animationFrame' or an object with a schedule(flush) method; received ${String(option)}`,
  )
}
