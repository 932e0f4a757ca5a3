import { createRedisEngine, type RedisEngine, type RedisEngineOptions } from '../src/index'

/**
 * Redis engine nodes for tests: quiet (errors are the test's to assert), reconnecting fast, and
 * closed together in afterEach.
 */
export function engineNodes() {
  const engines: RedisEngine[] = []
  return {
    /** A node on this Redis URL, resolved once connected. */
    async node(url: string, options: RedisEngineOptions = {}): Promise<RedisEngine> {
      const engine = createRedisEngine({ url, onError: () => {}, reconnectDelay: () => 20, ...options })
      engines.push(engine)
      await engine.ready()
      return engine
    },
    /** Closes every node made so far. */
    async closeAll(): Promise<void> {
      await Promise.all(engines.splice(0).map((engine) => engine.close()))
    },
  }
}
