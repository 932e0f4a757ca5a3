import { createSluiceServer, type Engine } from '@sluice/server-node'
import { benchData, TOPIC } from '../lib/payload.ts'
import type { TargetOptions, TargetServer } from './target-server.ts'

/**
 * The Sluice reference server with its defaults, minus what would measure something other than
 * delivery: no logger, no metrics, and (only where a scenario asks) a slow-consumer cap big
 * enough for a 5,000-event burst that is published without waiting for any client. With
 * `redis`, it runs on the Redis engine (loaded only then, so the other targets never need it).
 */
export async function startSluice(options: TargetOptions = {}): Promise<TargetServer> {
  let engine: Engine | undefined
  if (options.redis) {
    const { createRedisEngine } = await import('@sluice/redis')
    const redis = createRedisEngine(options.redis)
    await redis.ready()
    engine = redis
  }
  const sluice = createSluiceServer({
    logger: false,
    metrics: false,
    maxConnections: 100_000,
    ...(options.maxBufferedBytes !== undefined && { maxBufferedBytes: options.maxBufferedBytes }),
    ...(engine && { engine }),
  })
  const { port } = await sluice.listen(0, '127.0.0.1')
  const event = (i: number, sentAt?: number) => ({
    kind: 'created',
    key: `k${i}`,
    data: { ...benchData(i, sentAt) },
  })
  return {
    port,
    publish: (i, sentAt) => sluice.publish(TOPIC, event(i, sentAt)),
    publishTo: (topic, i) => sluice.publish(topic, event(i)),
    subscriberCount: () => sluice.stats().subscriptions,
    async close() {
      await sluice.close()
      // An engine passed in is the caller's to close: the server leaves it open.
      await engine?.close()
    },
  }
}
