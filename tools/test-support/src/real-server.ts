/**
 * Real Sluice servers on 127.0.0.1 and their clients, for this repo's tests: each one started
 * here is remembered, and one `closeAll()` (in `afterEach`) ends them all, clients first. The
 * lists are module-wide, which is one list per test file: vitest gives each file its own modules.
 */
import { createClient, type SluiceClient, type TimerProvider, type TopicSchema } from '@sluice/client'
import type { SluiceServerOptions } from '@sluice/server-node'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'

/**
 * The timers as they are when this module is imported, before a test installs fake ones: a client
 * given these keeps real time for its handshake and pings while the code under test runs on the
 * fake clock. (The client's default timers look the globals up on every call, so they follow
 * `vi.useFakeTimers()`.)
 */
export const realTimers: TimerProvider = {
  setTimeout: globalThis.setTimeout.bind(globalThis),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
}

const servers: TestServer[] = []
const clients: SluiceClient<TopicSchema>[] = []

/** A server on 127.0.0.1, port 0 (`createTestServer`), closed by {@link closeAll}. */
export async function startServer(options: SluiceServerOptions = {}): Promise<TestServer> {
  const server = await createTestServer(options)
  servers.push(server)
  return server
}

/**
 * A client of `server` over WebSocket only (a test does not depend on the fallback's timing),
 * closed by {@link closeAll}. `timers: realTimers` keeps it off a test's fake clock.
 */
export function connect<Schema extends TopicSchema = TopicSchema>(
  server: TestServer,
  options: { timers?: TimerProvider } = {},
): SluiceClient<Schema> {
  const client = createClient<Schema>({ url: server.url, transports: ['ws'], ...options })
  clients.push(client as SluiceClient<TopicSchema>)
  return client
}

/**
 * Closes every client, then every server. Call it after the test's components are gone
 * (Testing Library's `cleanup`, the effect scopes stopped, the apps unmounted).
 */
export async function closeAll(): Promise<void> {
  for (const client of clients.splice(0)) client.close()
  await Promise.all(servers.splice(0).map((server) => server.close()))
}
