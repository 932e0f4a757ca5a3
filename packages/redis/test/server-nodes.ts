import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import { afterEach, beforeEach } from 'vitest'
import { WsPeer } from '../../server-node/test/helpers'
import type { RedisEngine } from '../src/index'
import { engineNodes } from './engine-nodes'
import { type RedisServer, startRedisServer } from './redis-server'

type ServerOptions = NonNullable<Parameters<typeof createTestServer>[0]>

/**
 * Sluice servers on their own Redis engine nodes, all on one fresh redis-server per test, and
 * WebSocket peers to them; everything is closed after each test. Call once at the top of a file.
 * Tokens are identity ids (`?token=alice` is alice), unless the options say otherwise.
 */
export function serverNodes() {
  let redis: RedisServer | undefined
  const engines = engineNodes()
  const servers: TestServer[] = []
  const peers: WsPeer[] = []

  beforeEach(async () => {
    redis = await startRedisServer()
  })
  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.ws.terminate()
    await Promise.all(servers.splice(0).map((server) => server.close()))
    await engines.closeAll()
    await redis?.stop()
    redis = undefined
  })

  const current = (): RedisServer => {
    if (redis === undefined) throw new Error('the redis-server of this test is not running')
    return redis
  }

  return {
    /** This test's redis-server. */
    redis: current,
    /** A server on a new engine node. */
    async node(options: ServerOptions = {}): Promise<{ server: TestServer; engine: RedisEngine }> {
      const engine = await engines.node(current().url)
      const server = await createTestServer({
        engine,
        authenticate: ({ token }) => (token ? { id: token } : null),
        ...options,
      })
      servers.push(server)
      return { server, engine }
    },
    /** A WebSocket peer to a server, as `token`'s identity (anonymous without one), once welcomed. */
    async open(server: TestServer, token?: string): Promise<WsPeer> {
      const { peer } = await WsPeer.open(server.url, token === undefined ? 'v=1' : `v=1&token=${token}`)
      peers.push(peer)
      return peer
    },
  }
}
