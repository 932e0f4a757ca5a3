/**
 * Helpers for hook tests against the real server on 127.0.0.1: servers and clients that one
 * `closeAll()` ends, and an awaitable condition on a store.
 *
 * These tests run React outside `act()`: frames arrive on real sockets at times no test
 * controls, so the hooks render as they would in a browser (React's own scheduler), and a test
 * waits for what a component committed, recorded in an atom by {@link useRecorded}, instead of
 * wrapping each socket wait in `act`. `withoutActEnvironment()` turns React's act warnings off
 * for the file (Testing Library's `render` and `cleanup` still use act themselves).
 */
import { atom, type WritableAtom } from 'nanostores'
import { useEffect } from 'react'
import { afterAll, beforeAll } from 'vitest'

// The server, the clients and `until` are the repo's shared harness; re-exported so these tests
// import one module.
export { closeAll, connect, startServer, until } from '@sluice/test-support'

/** Lets React render on its own scheduler in this file (see the header). */
export function withoutActEnvironment(): void {
  const scope = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }
  let before: boolean | undefined
  beforeAll(() => {
    before = scope.IS_REACT_ACT_ENVIRONMENT
    scope.IS_REACT_ACT_ENVIRONMENT = false
  })
  afterAll(() => {
    scope.IS_REACT_ACT_ENVIRONMENT = before
  })
}

/** An atom a component writes what it committed to, for {@link until}. */
export function recorder<T>(initial: T): WritableAtom<T> {
  return atom(initial)
}

/** Records `value` after each commit of the calling component. */
export function useRecorded<T>(store: WritableAtom<T>, value: T): void {
  useEffect(() => {
    store.set(value)
  })
}
