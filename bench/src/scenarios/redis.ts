/**
 * Scenario 7: Sluice on the Redis engine (`@sluice/redis`), each figure against the memory
 * engine measured in the same rounds. One redis-server (lib/redis-server.ts) serves the whole
 * scenario; each run gets its own key prefix, so no run sees another's logs or node leases.
 *
 * Where Redis runs: with no load generator (publish throughput), Redis gets CPU 1 to itself, as
 * it would have its own machine in production. With one (fan-out, latency), the whole server
 * side (both nodes and Redis) shares CPU 0, the core the single memory-engine node has alone,
 * and the load generator keeps CPU 1 as in scenarios 1 and 2: at 100 % in scenario 1, it would
 * slow down if Redis took part of its core, and that would read as the engine's cost.
 */
import type { Child } from '../lib/child.ts'
import { CONFIG } from '../lib/config.ts'
import type { BenchRedis } from '../lib/redis-server.ts'
import { TARGETS } from '../lib/targets.ts'
import type { TargetOptions } from '../servers/target-server.ts'
import type { FanoutRun } from './fanout.ts'
import {
  connectSubscribers,
  LOAD_CPU,
  SERVER_CPU,
  type ServerNode,
  startServer,
  withNodes,
} from './harness.ts'
import { DRAIN_MS, type LatencyRun } from './latency.ts'

export type EngineKind = 'memory' | 'redis'

/** The memory engine (the reference) and the Redis engine, alternated round by round. */
export const PUBLISH_ENGINES = [
  { id: 'memory', label: 'one node, memory engine' },
  { id: 'redis', label: 'one node, Redis engine' },
] as const satisfies readonly { id: EngineKind; label: string }[]

/** One memory-engine node (the reference) and two nodes on one Redis, alternated round by round. */
export const DEPLOYMENTS = [
  { id: 'memory', label: 'one node, memory engine' },
  { id: 'redis', label: 'two nodes on one Redis' },
] as const satisfies readonly { id: EngineKind; label: string }[]

/** Subscribers speak the raw WS protocol, as in scenarios 1 and 2. */
const SLUICE = TARGETS['sluice-ws']

interface CpuReply {
  userUs: number
  systemUs: number
  waitUs: number | null
}

/** Share of one CPU Redis used, and waited for it, over `wallMs`; null without Redis (or /proc). */
interface RedisShares {
  redisCpuShare: number | null
  redisWaitShare: number | null
}

export interface PublishRateRun extends RedisShares {
  published: number
  /** Publishes that were rejected (should be 0; `firstError` says why otherwise). */
  failed: number
  firstError: string | null
  seconds: number
  publishesPerSecond: number
  /** The node's own CPU time per publish (Redis's is apart, in `redisCpuShare`). */
  serverCpuUsPerPublish: number
  serverCpuShare: number
  serverWaitShare: number | null
}

/**
 * Scenario 1's figures across nodes: node CPU is all nodes together (they share a core with
 * Redis, so no waiting column for them), and Redis's CPU is apart (`RedisShares`).
 */
export interface ClusterFanoutRun
  extends Omit<FanoutRun, 'serverWaitShare' | 'bytesPerDelivery'>,
    RedisShares {
  nodes: number
}

/** Scenario 2's figures across nodes, counted as in {@link ClusterFanoutRun}. */
export interface ClusterLatencyRun extends Omit<LatencyRun, 'serverWaitShare'>, RedisShares {
  nodes: number
}

function redisShares(
  engine: EngineKind,
  before: ReturnType<BenchRedis['schedstat']>,
  after: ReturnType<BenchRedis['schedstat']>,
  wallMs: number,
): RedisShares {
  if (engine === 'memory' || before === null || after === null)
    return { redisCpuShare: null, redisWaitShare: null }
  return {
    redisCpuShare: (after.runNs - before.runNs) / 1e6 / wallMs,
    redisWaitShare: (after.waitNs - before.waitNs) / 1e6 / wallMs,
  }
}

const cpuMs = (cpus: CpuReply[]) => cpus.reduce((sum, cpu) => sum + cpu.userUs + cpu.systemUs, 0) / 1000

/** Options of `count` nodes of one deployment on `engine`; `key` makes the run's own key prefix. */
function nodeOptions(
  engine: EngineKind,
  count: number,
  redis: BenchRedis,
  key: string,
  extra: TargetOptions = {},
): TargetOptions[] {
  const options: TargetOptions =
    engine === 'redis' ? { ...extra, redis: { url: redis.url, prefix: `bench-${key}` } } : extra
  return Array.from({ length: count }, () => options)
}

/**
 * Publishes/s through one node's server API, with `inFlight` publishes awaiting the engine at
 * all times over several topics, for a fixed time. No subscribers: this is the write path alone
 * (for Redis, one Lua script per publish that appends, numbers and broadcasts the event).
 */
export async function publishRateRun(
  engine: EngineKind,
  redis: BenchRedis,
  run: number,
): Promise<PublishRateRun> {
  const { durationMs, inFlight, topics } = CONFIG.redis.publish
  redis.pin(LOAD_CPU)
  const [options] = nodeOptions(engine, 1, redis, `publish-${run}`)
  const server = startServer(SLUICE.server, options)
  try {
    await server.ready
    const before = redis.schedstat()
    const result = await server.call<{
      published: number
      failed: number
      firstError: string | null
      ms: number
    }>('pipeline', { durationMs, inFlight, topics })
    const after = redis.schedstat()
    const cpu = await server.call<CpuReply>('cpu')
    return {
      published: result.published,
      failed: result.failed,
      firstError: result.firstError,
      seconds: result.ms / 1000,
      publishesPerSecond: result.published / (result.ms / 1000),
      serverCpuUsPerPublish: (cpu.userUs + cpu.systemUs) / result.published,
      serverCpuShare: cpuMs([cpu]) / result.ms,
      serverWaitShare: cpu.waitUs === null ? null : cpu.waitUs / 1000 / result.ms,
      ...redisShares(engine, before, after, result.ms),
    }
  } finally {
    await server.stop()
  }
}

/** Opens `total` subscribers spread evenly over `nodes` (the first nodes get any remainder). */
async function spreadSubscribers(nodes: ServerNode[], load: Child, total: number): Promise<void> {
  for (const [n, node] of nodes.entries()) {
    const count = Math.floor(total / nodes.length) + (n < total % nodes.length ? 1 : 0)
    await connectSubscribers({ server: node.server, port: node.port, load }, SLUICE, count)
  }
}

/**
 * Scenario 1's burst across a deployment: its subscribers split over every node, the events
 * published into the first node. Deliveries/s over all nodes, from the first publish to the last
 * delivery; against one memory-engine node with all the subscribers.
 */
export async function clusterFanoutRun(
  engine: EngineKind,
  redis: BenchRedis,
  run: number,
): Promise<ClusterFanoutRun> {
  const { subscribers, events } = CONFIG.fanout
  redis.pin(SERVER_CPU)
  // As in scenario 1: the burst is published without waiting for anyone, past the default cap.
  const servers = nodeOptions(engine, engine === 'redis' ? 2 : 1, redis, `fanout-${run}`, {
    maxBufferedBytes: 256 * 1024 * 1024,
  })
  return withNodes(SLUICE, servers, {}, async ({ nodes, load }) => {
    await spreadSubscribers(nodes, load, subscribers)
    await load.call('arm', { eventsPerSubscriber: events, latency: false })
    await Promise.all(nodes.map((node) => node.server.call('measure')))
    const before = redis.schedstat()
    const { startedAt } = await nodes[0]!.server.call<{ startedAt: number }>('burst', { events })
    const finish = await load.call<{
      expected: number
      received: number
      lastAt: number
      cpuUs: number
      waitUs: number | null
    }>('finish', { idleMs: 3_000, timeoutMs: 120_000 })
    const after = redis.schedstat()
    const cpus = await Promise.all(nodes.map((node) => node.server.call<CpuReply>('cpu')))
    const wallMs = finish.lastAt - startedAt
    return {
      nodes: nodes.length,
      expected: finish.expected,
      delivered: finish.received,
      seconds: wallMs / 1000,
      deliveriesPerSecond: finish.received / (wallMs / 1000),
      serverCpuUsPerDelivery: (cpuMs(cpus) * 1000) / finish.received,
      serverCpuShare: cpuMs(cpus) / wallMs,
      loadCpuShare: finish.cpuUs / 1000 / wallMs,
      loadWaitShare: finish.waitUs === null ? null : finish.waitUs / 1000 / wallMs,
      ...redisShares(engine, before, after, wallMs),
    }
  })
}

/**
 * Scenario 2's fixed load across nodes: every subscriber on the last node, the events published
 * on the first at the fixed rate, each payload carrying the time it was due. With one node (the
 * memory-engine reference) both are the same node, as in scenario 2.
 */
export async function clusterLatencyRun(
  engine: EngineKind,
  redis: BenchRedis,
  run: number,
): Promise<ClusterLatencyRun> {
  const { subscribers, perSecond } = CONFIG.latency
  const durationMs = CONFIG.redis.latencyDurationMs
  redis.pin(SERVER_CPU)
  const servers = nodeOptions(engine, engine === 'redis' ? 2 : 1, redis, `latency-${run}`)
  return withNodes(SLUICE, servers, {}, async ({ nodes, load }) => {
    const publisher = nodes[0]!
    const receiver = nodes.at(-1)!
    await connectSubscribers({ server: receiver.server, port: receiver.port, load }, SLUICE, subscribers)
    const eventsPerSubscriber = Math.round((perSecond * durationMs) / 1000)
    await load.call('arm', { eventsPerSubscriber, latency: true })
    await Promise.all(nodes.map((node) => node.server.call('measure')))
    const before = redis.schedstat()
    const published = await publisher.server.call<{ startedAt: number; endedAt: number; maxBehind: number }>(
      'rate',
      { perSecond, durationMs },
    )
    const finish = await load.call<{
      expected: number
      received: number
      lastAt: number
      cpuUs: number
      waitUs: number | null
      latency: { p50: number; p99: number; max: number }
    }>('finish', { idleMs: 3_000, timeoutMs: DRAIN_MS })
    const after = redis.schedstat()
    const cpus = await Promise.all(nodes.map((node) => node.server.call<CpuReply>('cpu')))
    const wallMs = Math.max(finish.lastAt, published.endedAt) - published.startedAt
    return {
      nodes: nodes.length,
      expected: finish.expected,
      delivered: finish.received,
      lost: finish.expected - finish.received,
      p50Ms: finish.latency.p50,
      p99Ms: finish.latency.p99,
      maxMs: finish.latency.max,
      serverCpuShare: cpuMs(cpus) / wallMs,
      loadCpuShare: finish.cpuUs / 1000 / wallMs,
      loadWaitShare: finish.waitUs === null ? null : finish.waitUs / 1000 / wallMs,
      publisherMaxBehind: published.maxBehind,
      ...redisShares(engine, before, after, wallMs),
    }
  })
}
