/** {@link until} on Vue state: a ref, a computed, a reactive object or a getter. */
import { type WatchSource, watch } from 'vue'
import { until as untilWatched } from './until'

/**
 * Resolves with the source's value once `predicate` holds; rejects after `timeoutMs` naming
 * `what` and the last value. The watcher is synchronous and deep, so every change is seen (not
 * only the last of a tick), nested ones included.
 */
export function until<T>(
  source: WatchSource<T>,
  predicate: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  return untilWatched<T>(
    { subscribe: (listener) => watch(source, listener, { immediate: true, flush: 'sync', deep: true }) },
    predicate,
    what,
    timeoutMs,
  )
}
