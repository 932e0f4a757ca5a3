import { createSluiceServer } from '@sluice/server-node'
import { benchData, TOPIC } from '../lib/payload.ts'
import type { TargetOptions, TargetServer } from './target-server.ts'

/**
 * The Sluice reference server with its defaults, minus what would measure something other than
 * delivery: no logger, no metrics, and (only where a scenario asks) a slow-consumer cap big
 * enough for a 5,000-event burst that is published without waiting for any client.
 */
export async function startSluice(options: TargetOptions = {}): Promise<TargetServer> {
  const sluice = createSluiceServer({
    logger: false,
    metrics: false,
    maxConnections: 100_000,
    ...(options.maxBufferedBytes !== undefined && { maxBufferedBytes: options.maxBufferedBytes }),
  })
  const { port } = await sluice.listen(0, '127.0.0.1')
  return {
    port,
    publish: (i, sentAt) =>
      sluice.publish(TOPIC, { kind: 'created', key: `k${i}`, data: { ...benchData(i, sentAt) } }),
    subscriberCount: () => sluice.stats().subscriptions,
    close: () => sluice.close(),
  }
}
