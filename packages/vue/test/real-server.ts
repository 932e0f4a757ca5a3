/**
 * Helpers for composable tests against the real server on 127.0.0.1: servers and clients that
 * one `closeAll()` ends, and an awaitable condition on reactive state (frames arrive on real
 * sockets at times no test controls, so a test waits for the state it expects, never a delay).
 */
import { createClient, type SluiceClient, type TopicSchema } from '@sluice/client'
import type { SluiceServerOptions } from '@sluice/server-node'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import { type WatchSource, watch } from 'vue'

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

/** Closes every client, then every server; call after stopping the test's effect scopes. */
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
    // Sync: every change is seen, not only the last of a tick.
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

/** Resolves with the client's connection id once its welcome came (the id presence members and signals use). */
export function opened(client: SluiceClient, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {}
    const timer = setTimeout(() => {
      unsubscribe()
      reject(
        new Error(
          `timed out after ${timeoutMs} ms waiting for the welcome; last: ${JSON.stringify(client.$connection.get())}`,
        ),
      )
    }, timeoutMs)
    unsubscribe = client.$connection.subscribe(({ connectionId }) => {
      if (connectionId === null) return
      clearTimeout(timer)
      // subscribe calls back before it returns when the id is already there.
      queueMicrotask(() => unsubscribe())
      resolve(connectionId)
    })
  })
}
