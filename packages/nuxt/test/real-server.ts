/**
 * Helpers for tests against the real server on 127.0.0.1: servers and clients that one
 * `closeAll()` ends, and an awaitable condition on reactive state (frames arrive on real
 * sockets at times no test controls, so a test waits for the state it expects, never a delay).
 */
import { createClient, type SluiceClient } from '@sluice/client'
import type { SluiceServerOptions } from '@sluice/server-node'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import { type WatchSource, watch } from 'vue'

const servers: TestServer[] = []
const clients: SluiceClient[] = []

/** A server on 127.0.0.1, port 0, closed by {@link closeAll}. */
export async function startServer(options: SluiceServerOptions = {}): Promise<TestServer> {
  const server = await createTestServer(options)
  servers.push(server)
  return server
}

/** A lazy client of `server` over WebSocket only (no fallback timing in the test), closed by {@link closeAll}. */
export function clientOf(server: TestServer): SluiceClient {
  const client = createClient({ url: server.url, transports: ['ws'] })
  clients.push(client)
  return client
}

/** Closes every client, then every server; call after unmounting the test's apps. */
export async function closeAll(): Promise<void> {
  for (const client of clients.splice(0)) client.close()
  await Promise.all(servers.splice(0).map((server) => server.close()))
}

/** Resolves with the source's value once `predicate` holds; rejects after `timeoutMs` naming `what` and the last value. */
export function until<T>(
  source: WatchSource<T>,
  predicate: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let last: T | undefined
    let stop = () => {}
    const timer = setTimeout(() => {
      stop()
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`))
    }, timeoutMs)
    stop = watch(
      source,
      (value) => {
        last = value
        if (!predicate(value)) return
        clearTimeout(timer)
        // An immediate watcher calls back before watch() returns `stop`.
        queueMicrotask(() => stop())
        resolve(value)
      },
      { immediate: true, flush: 'sync', deep: true },
    )
  })
}
