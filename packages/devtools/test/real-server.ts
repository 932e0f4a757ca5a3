/**
 * The real server on 127.0.0.1 for the devtools tests, and a wait on a recorder: frames arrive
 * on real sockets at times no test controls, so a test waits for the state it expects, never a
 * delay.
 */
import { createClient, type SluiceClient } from '@sluice/client'
import type { SluiceServerOptions } from '@sluice/server-node'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import type { Recorder, RecorderSnapshot } from '../src/recorder'

const servers: TestServer[] = []
const clients: SluiceClient[] = []

/** A server on port 0 that lets clients publish, closed by {@link closeAll}. */
export async function startServer(options: SluiceServerOptions = {}): Promise<TestServer> {
  const server = await createTestServer({ authorize: () => true, ...options })
  servers.push(server)
  return server
}

/** A client of `server` over WebSocket only (the tests do not depend on fallback timing). */
export function connect(server: TestServer): SluiceClient {
  const client = createClient({ url: server.url, transports: ['ws'] })
  clients.push(client)
  return client
}

export async function closeAll(): Promise<void> {
  for (const client of clients.splice(0)) client.close()
  await Promise.all(servers.splice(0).map((server) => server.close()))
}

/** Resolves with the recorder's snapshot once `predicate` holds; rejects after `timeoutMs` naming `what`. */
export function until(
  recorder: Recorder,
  predicate: (snapshot: RecorderSnapshot) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<RecorderSnapshot> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const snapshot = recorder.snapshot()
      if (!predicate(snapshot)) return false
      clearTimeout(timer)
      off()
      resolve(snapshot)
      return true
    }
    const timer = setTimeout(() => {
      off()
      reject(
        new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(recorder.snapshot())}`,
        ),
      )
    }, timeoutMs)
    const off = recorder.subscribe(check)
    check()
  })
}
