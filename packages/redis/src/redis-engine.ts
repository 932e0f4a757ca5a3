import { randomBytes } from 'node:crypto'
import type { Engine, EngineListener, RateLimitStore, RetentionPolicy } from '@sluice/server-node'
import { createBus } from './bus'
import { nodeKeys } from './keys'
import { createNodeChannel } from './node-channel'
import { createPresenceStore } from './presence-store'
import { createRedisRateLimitStore } from './rate-limit-store'
import { createRedisClusterPort } from './redis-cluster-port'
import { RedisLink } from './redis-link'
import { createRedisPort } from './redis-port'
import { createTopicLog } from './topic-log'

export interface RedisEngineOptions {
  /** Redis URL (`redis://`, `rediss://`, `unix://`). @default 'redis://127.0.0.1:6379' */
  url?: string
  /**
   * A Redis Cluster instead of one Redis: the URLs of some of its nodes, to discover it from
   * (`url` is then not used). Each topic lives on the master of its hash tag's slot.
   */
  cluster?: { rootNodes: readonly string[] }
  /** Prefix of every key and channel: nodes with the same prefix form one deployment. @default 'sluice' */
  prefix?: string
  /** Events kept per topic; a resume from before them resyncs with `too_old`. @default 1000 */
  maxEvents?: number
  /** Age after which an event is evicted, in ms. @default 600_000 (10 minutes) */
  maxAgeMs?: number
  /**
   * A topic's keys expire after this long without a publish or a read; its subscribers resync
   * with `epoch_changed` when they come back. @default 86_400_000 (one day)
   */
  topicTtlMs?: number
  /** Events per log read; a replay or a gap fill reads page by page. @default 500 */
  pageSize?: number
  /**
   * Whether a Redis restart is trusted to lose nothing, so logs keep their epoch across it.
   * Detected by default: trusted when Redis reports `appendonly yes` and `appendfsync always`
   * (CONFIG GET; a Redis that refuses CONFIG is not trusted; on a cluster, not trusted unless
   * set). Untrusted, every log gets a new epoch after a restart or failover, and clients resync.
   * See docs/SCALING.md.
   * @default detected
   */
  trustPersistence?: boolean
  /** A Redis command that gets no answer in this time fails with UNAVAILABLE. @default 5_000 */
  commandTimeoutMs?: number
  /** The `retryAfterMs` of an UNAVAILABLE answer. @default 1_000 */
  retryAfterMs?: number
  /** How long a snapshot hold lasts at most if its node dies while holding, in ms. @default 30_000 */
  holdLeaseMs?: number
  /** How often this node retries publishes refused by another node's snapshot hold, in ms. @default 10 */
  holdPollMs?: number
  /**
   * A node that stops renewing its lease for this long is dead: any survivor removes its presence
   * members, and each gets exactly one leave. The lease is renewed every third of it. @default 15_000
   */
  nodeLeaseMs?: number
  /** With no bus message for this long, this node probes its subscriber connection. @default 5_000 */
  probeIntervalMs?: number
  /** A probe not back in this time means the subscriber connection stopped delivering: it is replaced. @default 2_000 */
  probeTimeoutMs?: number
  /** Delay before the n-th reconnect attempt. @default min(50 × 2^n, 2000) ms */
  reconnectDelay?: (attempt: number) => number
  /** This node's id in Redis (node lease, presence, connection names). @default random */
  nodeId?: string
  /** Told about failures that have no caller to fail (a lost connection, a background sweep). @default console.error */
  onError?: (error: unknown, context: { operation: string; topic?: string }) => void
  /** Clock for event ages. @default Date.now */
  now?: () => number
}

/** The Redis engine: an {@link Engine} plus what operators and tests need. */
export interface RedisEngine extends Engine {
  /** This node's id. */
  readonly nodeId: string
  /**
   * Rate limit buckets in Redis, shared by every node with this prefix: the server uses it by
   * default for its per-identity and per-procedure limits (`identityRateLimits`,
   * `procedures.x.rateLimit`), so they hold across nodes.
   */
  readonly rateLimits: RateLimitStore
  /** Resolves once connected (and rejects only if closed first); the engine is `down` until then. */
  ready(): Promise<void>
  /** The Redis connections of this node, for tests that cut them. */
  clientIds(): Promise<{ commands: number; subscriber: number }>
}

const defaultReconnectDelay = (attempt: number) => Math.min(50 * 2 ** attempt, 2_000)

/**
 * A Sluice engine on Redis, for running many server nodes behind a load balancer. Each topic's
 * log is a Redis Stream written by one Lua script per publish (next seq, entry, dedup, bus
 * message, atomically), so appends to a topic are totally ordered across nodes; epochs change
 * whenever Redis may have lost data; every node fills bus gaps from the log; presence, snapshot
 * holds, publish dedup and identity routing live in Redis, so any node serves any client.
 *
 * The parts, one file each: the link to Redis (redis-link.ts), the topic logs (topic-log.ts),
 * the bus of watched topics (bus.ts, topic-feed.ts), presence and node leases
 * (presence-store.ts), and messages between nodes (node-channel.ts).
 *
 * @example
 * import { createSluiceServer } from '@sluice/server-node'
 * import { createRedisEngine } from '@sluice/redis'
 *
 * const sluice = createSluiceServer({ engine: createRedisEngine({ url: process.env.REDIS_URL }) })
 */
export function createRedisEngine(options: RedisEngineOptions = {}): RedisEngine {
  const {
    url = 'redis://127.0.0.1:6379',
    prefix = 'sluice',
    maxEvents = 1000,
    maxAgeMs = 600_000,
    topicTtlMs = 86_400_000,
    pageSize = 500,
    commandTimeoutMs = 5_000,
    retryAfterMs = 1_000,
    holdLeaseMs = 30_000,
    holdPollMs = 10,
    nodeLeaseMs = 15_000,
    probeIntervalMs = 5_000,
    probeTimeoutMs = 2_000,
    reconnectDelay = defaultReconnectDelay,
    nodeId = randomBytes(6).toString('base64url'),
    onError = (error, context) => console.error(`sluice redis: ${context.operation} failed`, error),
    now = () => Date.now(),
  } = options
  if (!Number.isInteger(maxEvents) || maxEvents < 1)
    throw new RangeError('maxEvents must be a positive integer')
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError('pageSize must be a positive integer')

  const listeners = new Set<EngineListener>()
  const emit = <K extends keyof EngineListener>(
    method: K,
    ...args: Parameters<NonNullable<EngineListener[K]>>
  ): void => {
    // Optional methods (`connection`) may be missing on a listener that does not route them.
    for (const listener of listeners)
      (listener[method] as ((...a: typeof args) => void) | undefined)?.(...args)
  }
  const report = (error: unknown, operation: string, topic?: string) => {
    try {
      onError(error, topic === undefined ? { operation } : { operation, topic })
    } catch {
      // A throwing onError must not take the engine down.
    }
  }

  const names = nodeKeys(prefix)
  const portOptions = {
    name: `${prefix}:${nodeId}`,
    commandTimeoutMs,
    reconnectDelay,
    connectTimeoutMs: commandTimeoutMs,
  }
  // The parts below are wired to each other through closures: the link calls them only once
  // connected, by which time all of them exist.
  const link = new RedisLink({
    connect: (events) =>
      options.cluster === undefined
        ? createRedisPort({ url, ...portOptions }, events)
        : createRedisClusterPort({ rootNodes: options.cluster.rootNodes, ...portOptions }, events),
    ownChannels: [names.node(nodeId), names.identity],
    cluster: options.cluster !== undefined,
    trustPersistence: options.trustPersistence,
    retryAfterMs,
    message(message, channel) {
      bus.heard()
      try {
        if (!nodes.message(message, channel)) bus.topicMessage(message, channel)
      } catch (error) {
        report(error, 'bus message')
      }
    },
    back() {
      bus.fillAll()
      presence.restore()
    },
    busBack: () => bus.fillAll(),
    report,
  })
  const retention: { policy: RetentionPolicy } = { policy: () => undefined }
  const log = createTopicLog(link, {
    prefix,
    nodeId,
    maxEvents,
    maxAgeMs,
    retention,
    topicTtlMs,
    pageSize,
    holdLeaseMs,
    holdPollMs,
    now,
    known: (topic) => bus.known(topic),
    report,
  })
  const bus = createBus(link, {
    prefix,
    nodeChannel: names.node(nodeId),
    probeIntervalMs,
    probeTimeoutMs,
    retryMs: retryAfterMs,
    now,
    head: log.head,
    readAfter: log.readAfter,
    event: (event) => emit('event', event),
    presence: (change) => emit('presence', change),
    lost: (topic, lost) => emit('lost', topic, lost),
    report,
  })
  const presence = createPresenceStore(link, { prefix, nodeId, nodeLeaseMs, report })
  const nodes = createNodeChannel(link, {
    prefix,
    nodeId,
    answerTimeoutMs: commandTimeoutMs,
    answer(request) {
      // The server registers one listener per engine.
      const [server] = listeners
      return server === undefined ? { status: 404, body: null } : server.sseCommands(request)
    },
    identity: (identityId, message) => emit('identity', identityId, message),
    connection: (connectionId, message) => emit('connection', connectionId, message),
    probed: (message) => bus.probed(message),
    report,
  })
  link.ready().then(
    () => presence.start(),
    () => {},
  )

  return {
    nodeId,
    rateLimits: createRedisRateLimitStore(link, prefix),
    ready: () => link.ready(),
    clientIds: () => link.port('listing its connections failed').clientIds(),
    append: log.append,
    head: log.head,
    readAfter: log.readAfter,
    hold: log.hold,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    watch: bus.watch,
    unwatch: bus.unwatch,
    setPresence: presence.setPresence,
    removePresence: presence.removePresence,
    presence: presence.presence,
    sendToIdentity: nodes.sendToIdentity,
    sendToConnection: nodes.sendToConnection,
    forwardSseCommands: nodes.forwardSseCommands,
    status: () => link.status,
    configureRetention(policy) {
      retention.policy = policy
    },
    async close() {
      bus.close()
      presence.stop()
      // A clean stop leaves at once instead of waiting for its lease to run out.
      await link.close(() => presence.leave(), commandTimeoutMs)
      log.close()
      nodes.close()
    },
  }
}
