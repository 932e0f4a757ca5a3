import type { PublishTarget, SourceEvent } from './types'

/** Options of {@link fromAsyncIterable}. */
export interface FromAsyncIterableOptions<T> {
  /**
   * Turns an item into the event to publish; `null` or `undefined` skips the item.
   * @default the item itself, which must then be a {@link SourceEvent}
   */
  map?: (item: T) => SourceEvent | null | undefined | Promise<SourceEvent | null | undefined>
  /** Stops the iteration: the iterator is told to `return()` and the promise resolves. */
  signal?: AbortSignal
}

/**
 * Publishes every item of an (async) iterable to `topic`, one after the other: the next item is
 * pulled only when the previous publish finished, so a fast producer is paced by the server.
 * Resolves with the number of events published when the iterable ends or `signal` aborts;
 * rejects with the first error of the iterable, `map` or `publish`.
 *
 * @example
 * // Relay a Redis stream, a change feed or any async generator.
 * const controller = new AbortController()
 * void fromAsyncIterable(sluice, 'orders', changes(), {
 *   map: (change) => ({ kind: 'updated', key: change.id, data: change.doc }),
 *   signal: controller.signal,
 * })
 */
export async function fromAsyncIterable<T>(
  server: PublishTarget,
  topic: string,
  iterable: AsyncIterable<T> | Iterable<T>,
  options: FromAsyncIterableOptions<T> = {},
): Promise<number> {
  const { map = (item: T) => item as unknown as SourceEvent, signal } = options
  if (signal?.aborted) return 0
  const iterator =
    Symbol.asyncIterator in iterable ? iterable[Symbol.asyncIterator]() : toAsync(iterable[Symbol.iterator]())
  const aborted = abortPromise(signal)
  let published = 0
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted.promise])
      if (next === ABORTED || next.done) break
      const event = await map(next.value)
      if (signal?.aborted) break
      if (event === null || event === undefined) continue
      await server.publish(topic, event)
      published++
      if (signal?.aborted) break
    }
  } catch (error) {
    closeQuietly(iterator)
    throw error
  } finally {
    aborted.dispose()
  }
  if (signal?.aborted) closeQuietly(iterator)
  return published
}

const ABORTED = Symbol('aborted')

function abortPromise(signal: AbortSignal | undefined): {
  promise: Promise<typeof ABORTED>
  dispose(): void
} {
  if (signal === undefined) return { promise: new Promise(() => {}), dispose() {} }
  let onAbort = () => {}
  const promise = new Promise<typeof ABORTED>((resolve) => {
    onAbort = () => resolve(ABORTED)
    signal.addEventListener('abort', onAbort, { once: true })
  })
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) }
}

/**
 * Not awaited: an async generator parked in an `await` runs `return()` only after that await
 * settles, which may be never (a socket that stays quiet).
 */
function closeQuietly(iterator: AsyncIterator<unknown>): void {
  iterator.return?.()?.catch(() => {})
}

function toAsync<T>(iterator: Iterator<T>): AsyncIterator<T> {
  return {
    next: async () => iterator.next(),
    return: async (value?: unknown) => iterator.return?.(value) ?? { done: true, value: undefined },
  }
}
