/**
 * Waits on state that test code does not control (frames arrive on real sockets at times no test
 * chooses): a test waits for the state it expects, never for a delay.
 */
import type { SluiceClient } from '@sluice/client'
import { realTimers } from './real-server'

/**
 * A value to wait on: `subscribe` calls the listener with each new value, and may call it with
 * the current one before it returns (nanostores atoms do). A nanostores atom is one as it is.
 */
export interface Watchable<T> {
  subscribe(listener: (value: T) => void): () => void
}

/**
 * Resolves with the first value for which `predicate` holds; rejects after `timeoutMs` naming
 * `what` and the last value seen. The deadline runs on {@link realTimers}: a test's fake clock
 * neither fires it early nor holds it back, and the wait itself is woken by the source.
 */
export function until<T>(
  source: Watchable<T>,
  predicate: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let last: T | undefined
    let settled = false
    let stop: (() => void) | undefined
    const timer = realTimers.setTimeout(() => {
      settled = true
      stop?.()
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`))
    }, timeoutMs)
    stop = source.subscribe((value) => {
      last = value
      if (settled || !predicate(value)) return
      settled = true
      realTimers.clearTimeout(timer)
      // The source may call back before subscribe() has returned `stop`.
      queueMicrotask(() => stop?.())
      resolve(value)
    })
  })
}

/** Resolves with the client's connection id once its welcome came (the id presence members and signals carry). */
export async function opened(client: Pick<SluiceClient, '$connection'>, timeoutMs = 10_000): Promise<string> {
  const state = await until(
    client.$connection,
    ({ connectionId }) => connectionId !== null,
    'the welcome',
    timeoutMs,
  )
  return state.connectionId as string
}
