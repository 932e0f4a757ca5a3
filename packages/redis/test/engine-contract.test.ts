import { afterAll, beforeAll } from 'vitest'
import { describeEngineContract } from '../../server-node/test/engine-contract'
import { createRedisEngine, type RedisEngine } from '../src/index'
import { type RedisServer, startRedisServer } from './redis-server'

let redis: RedisServer
const created: RedisEngine[] = []
let deployment = 0

beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  await redis.stop()
})

describeEngineContract('redis', {
  distributed: true,
  async nodes(count, options = {}) {
    // A fresh prefix per test is a fresh store on the same server.
    const prefix = `t${++deployment}`
    const engines = Array.from({ length: count }, () =>
      createRedisEngine({ url: redis.url, prefix, onError: () => {}, ...options }),
    )
    created.push(...engines)
    await Promise.all(engines.map((engine) => engine.ready()))
    return engines
  },
  async cleanup() {
    await Promise.all(created.splice(0).map((engine) => engine.close()))
  },
})
