import { CONFIG } from '../lib/config.ts'
import type { Target } from '../lib/targets.ts'
import { connectSubscribers, withPair } from './harness.ts'

/** Deliveries not in within this long after the publisher finished count as lost. */
export const DRAIN_MS = 15_000

export interface LatencyRun {
  expected: number
  delivered: number
  lost: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** Share of one CPU the server used while publishing at the fixed rate. */
  serverCpuShare: number
  /** Share of the run the server waited for its CPU while another job held it; null if unknown. */
  serverWaitShare: number | null
  loadCpuShare: number
  /** Share of the run the load generator waited for its CPU while another job held it. */
  loadWaitShare: number | null
  /** Largest number of events the publisher had to catch up on in one tick (timer lateness). */
  publisherMaxBehind: number
}

interface FinishResult {
  expected: number
  received: number
  lastAt: number
  cpuUs: number
  waitUs: number | null
  latency: { count: number; p50: number; p99: number; max: number }
}

/**
 * Scenario 2: a fixed publish rate to many subscribers; every delivery's publish-to-receive
 * time comes from the publish timestamp in the payload, read against the same machine clock.
 */
export async function latencyRun(target: Target): Promise<LatencyRun> {
  const { subscribers, perSecond, durationMs } = CONFIG.latency
  return withPair(target, {}, async (pair) => {
    await connectSubscribers(pair, target, subscribers)
    const eventsPerSubscriber = Math.round((perSecond * durationMs) / 1000)
    await pair.load.call('arm', { eventsPerSubscriber, latency: true })
    const published = await pair.server.call<{ startedAt: number; endedAt: number; maxBehind: number }>(
      'rate',
      {
        perSecond,
        durationMs,
      },
    )
    const finish = await pair.load.call<FinishResult>('finish', { idleMs: 3_000, timeoutMs: DRAIN_MS })
    const cpu = await pair.server.call<{ userUs: number; systemUs: number; waitUs: number | null }>('cpu')
    const wallMs = Math.max(finish.lastAt, published.endedAt) - published.startedAt
    return {
      expected: finish.expected,
      delivered: finish.received,
      lost: finish.expected - finish.received,
      p50Ms: finish.latency.p50,
      p99Ms: finish.latency.p99,
      maxMs: finish.latency.max,
      serverCpuShare: (cpu.userUs + cpu.systemUs) / 1000 / wallMs,
      serverWaitShare: cpu.waitUs === null ? null : cpu.waitUs / 1000 / wallMs,
      loadCpuShare: finish.cpuUs / 1000 / wallMs,
      loadWaitShare: finish.waitUs === null ? null : finish.waitUs / 1000 / wallMs,
      publisherMaxBehind: published.maxBehind,
    }
  })
}
