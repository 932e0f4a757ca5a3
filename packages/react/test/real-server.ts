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
import { createClient, type SluiceClient, type TopicSchema } from '@sluice/client'
import type { SluiceServerOptions } from '@sluice/server-node'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import { atom, type ReadableAtom, type WritableAtom } from 'nanostores'
import { useEffect } from 'react'
import { afterAll, beforeAll } from 'vitest'

const servers: TestServer[] = []
const clients: SluiceClient<TopicSchema>[] = []

/** A server on 127.0.0.1, port 0, closed by {@link closeAll}. */
export async function startServer(options: SluiceServerOptions = {}): Promise<TestServer> {
  const server = await createTestServer(options)
  servers.push(server)
  return server
}

/** A client of `server` over WebSocket (one transport: the test does not depend on fallback timing), closed by {@link closeAll}. */
export function connect<Schema extends TopicSchema = TopicSchema>(server: TestServer): SluiceClient<Schema> {
  const client = createClient<Schema>({ url: server.url, transports: ['ws'] })
  clients.push(client as SluiceClient<TopicSchema>)
  return client
}

/** Closes every client, then every server; call after Testing Library's `cleanup`. */
export async function closeAll(): Promise<void> {
  for (const client of clients.splice(0)) client.close()
  await Promise.all(servers.splice(0).map((server) => server.close()))
}

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

/** Resolves with the atom's value once `predicate` holds; rejects after `timeoutMs` naming `what` and the last value. */
export function until<T>(
  store: ReadableAtom<T>,
  predicate: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {}
    const timer = setTimeout(() => {
      unsubscribe()
      reject(
        new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(store.get())}`,
        ),
      )
    }, timeoutMs)
    unsubscribe = store.subscribe((value) => {
      if (!predicate(value)) return
      clearTimeout(timer)
      // subscribe calls back before it returns when the value already holds.
      queueMicrotask(() => unsubscribe())
      resolve(value)
    })
  })
}
