/**
 * Waiting on conditions with deadlines, for tests that run real processes and hundreds of
 * sockets: nothing here sleeps for a guessed time. A deadline only turns a hang into a failure
 * that says what was awaited.
 */

/** What `until` needs of a nanostores atom (the client's `$state` and `$connection`). */
export interface Watchable<T> {
  get(): T
  subscribe(listener: (value: T) => void): () => void
}

/** Resolves with `promise`'s value, or rejects naming `what` once `ms` have passed. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

/**
 * Resolves with the atom's value once `predicate` holds for it (checked at once and on every
 * change); rejects after `ms` with `what` and `describe(last value)`.
 */
export function until<T>(
  atom: Watchable<T>,
  predicate: (value: T) => boolean,
  what: string,
  ms: number,
  describe: (value: T) => string = (value) => JSON.stringify(value),
): Promise<T> {
  return new Promise((resolve, reject) => {
    let unsubscribe: (() => void) | undefined
    let settled = false
    const timer = setTimeout(() => {
      settled = true
      unsubscribe?.()
      reject(new Error(`timed out after ${ms} ms waiting for ${what}; last: ${describe(atom.get())}`))
    }, ms)
    unsubscribe = atom.subscribe((value) => {
      if (settled || !predicate(value)) return
      settled = true
      clearTimeout(timer)
      // subscribe() calls back before it returns: unsubscribe once it has.
      queueMicrotask(() => unsubscribe?.())
      resolve(value)
    })
    if (settled) unsubscribe()
  })
}

/**
 * A condition over state the test changes itself (acks counted, events recorded): `check()`
 * runs after every `notify()`, and the promise of {@link Signal.until} resolves the first time
 * it holds.
 */
export class Signal {
  private waiters = new Set<() => void>()
  private failure: Error | undefined

  /** Re-checks every pending condition. */
  notify(): void {
    for (const waiter of [...this.waiters]) waiter()
  }

  /** The state will not change any more (its producer failed): every wait rejects with `error`. */
  fail(error: Error): void {
    this.failure ??= error
    this.notify()
  }

  until(check: () => boolean, what: string, ms: number, describe: () => string = () => ''): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = () => {
        if (this.failure) {
          this.waiters.delete(waiter)
          clearTimeout(timer)
          reject(new Error(`gave up waiting for ${what}: ${this.failure.message}`, { cause: this.failure }))
          return
        }
        if (!check()) return
        this.waiters.delete(waiter)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        this.waiters.delete(waiter)
        const detail = describe()
        reject(new Error(`timed out after ${ms} ms waiting for ${what}${detail ? `; ${detail}` : ''}`))
      }, ms)
      this.waiters.add(waiter)
      waiter()
    })
  }
}
