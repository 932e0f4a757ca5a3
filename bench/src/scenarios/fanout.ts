import { CONFIG } from '../lib/config.ts'
import type { Target } from '../lib/targets.ts'
import { connectSubscribers, withPair } from './harness.ts'

export interface FanoutRun {
  expected: number
  delivered: number
  seconds: number
  deliveriesPerSecond: number
  serverCpuUsPerDelivery: number
  /**
   * Share of one CPU the server used. With neither this nor `loadCpuShare` near 1, neither side
   * set the pace: other processes on the shared machine took the CPU (a disturbed round).
   */
  serverCpuShare: number
  /** Share of the run the server was runnable but waiting for its CPU (other jobs); null if unknown. */
  serverWaitShare: number | null
  /** Share of one CPU the load generator used; near 1 means the client side was the limit. */
  loadCpuShare: number
  /** Share of the run the load generator waited for its CPU while another job held it. */
  loadWaitShare: number | null
  /** Bytes the subscriber read per delivered event (transport framing excluded); null if unknown. */
  bytesPerDelivery: number | null
}

interface FinishResult {
  expected: number
  received: number
  bytes: number
  lastAt: number
  cpuUs: number
  waitUs: number | null
}

/**
 * Scenario 1: one topic, many subscribers, a burst of events published as fast as the server
 * takes them. Throughput is deliveries (events × subscribers that got them) per second from
 * the first publish to the last delivery; server CPU is the server process's own cpuUsage().
 */
export async function fanoutRun(target: Target): Promise<FanoutRun> {
  const { subscribers, events } = CONFIG.fanout
  // A 5,000-event burst with no pause is far past Sluice's default 1 MiB slow-consumer cap
  // for every subscriber at once; the cap is raised so the run measures delivery, not eviction.
  const server = target.sluice ? { maxBufferedBytes: 256 * 1024 * 1024 } : {}
  return withPair(target, { server }, async (pair) => {
    await connectSubscribers(pair, target, subscribers)
    await pair.load.call('arm', { eventsPerSubscriber: events, latency: false })
    const { startedAt } = await pair.server.call<{ startedAt: number }>('burst', { events })
    const finish = await pair.load.call<FinishResult>('finish', { idleMs: 3_000, timeoutMs: 120_000 })
    const cpu = await pair.server.call<{ userUs: number; systemUs: number; waitUs: number | null }>('cpu')
    const seconds = (finish.lastAt - startedAt) / 1000
    return {
      expected: finish.expected,
      delivered: finish.received,
      seconds,
      deliveriesPerSecond: finish.received / seconds,
      serverCpuUsPerDelivery: (cpu.userUs + cpu.systemUs) / finish.received,
      serverCpuShare: (cpu.userUs + cpu.systemUs) / 1000 / (finish.lastAt - startedAt),
      serverWaitShare: cpu.waitUs === null ? null : cpu.waitUs / 1000 / (finish.lastAt - startedAt),
      loadCpuShare: finish.cpuUs / 1000 / (finish.lastAt - startedAt),
      loadWaitShare: finish.waitUs === null ? null : finish.waitUs / 1000 / (finish.lastAt - startedAt),
      bytesPerDelivery: target.client === 'socketio' ? null : finish.bytes / finish.received,
    }
  })
}
