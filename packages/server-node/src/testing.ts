import type { SluiceServerOptions } from './options'
import { createSluiceServer } from './server'
import type { SluiceServer } from './server-types'

/** A server listening on 127.0.0.1 on a free port, for tests. */
export interface TestServer {
  server: SluiceServer
  /** The realtime base URL, e.g. `http://127.0.0.1:50123/realtime`. */
  url: string
  port: number
  /** Closes the server (clients get `reconnect` then 1012) and waits until it is down. */
  close(): Promise<void>
}

/**
 * Starts a Sluice server for integration tests: real sockets on 127.0.0.1, port 0, logging off
 * unless `logger` is given. Close it in `afterEach`.
 *
 * @example
 * const t = await createTestServer({ snapshot: () => [] })
 * const client = createClient({ url: t.url })
 * // …
 * await t.close()
 */
export async function createTestServer(options: SluiceServerOptions = {}): Promise<TestServer> {
  const server = createSluiceServer({ logger: false, shutdownTimeoutMs: 1_000, ...options })
  const { url, port } = await server.listen(0, '127.0.0.1')
  return { server, url, port, close: () => server.close({ retryAfterMs: 0 }) }
}
