import { randomBytes } from 'node:crypto'
import type { PresenceMember } from '@sluice/protocol'
import {
  type AppendResult,
  type DedupOptions,
  type Engine,
  type EngineListener,
  type EngineStatus,
  type EventInput,
  type IdentityMessage,
  type LogHead,
  type ReadResult,
  ServerError,
  type SseCommandAnswer,
  type SseCommandRequest,
} from '@sluice/server-node'
import { ErrorReply } from 'redis'
import { HeldAppends } from './held-appends'
import { nodeKeys, type TopicKeys, topicKeys } from './keys'
import { NodeLease } from './node-lease'
import { createRedisClusterPort } from './redis-cluster-port'
import { createRedisPort, type RedisPort, type RedisPortEvents } from './redis-port'
import {
  APPEND,
  HEAD,
  HOLD,
  type LuaScript,
  NODE_BEAT,
  PRESENCE_REMOVE,
  PRESENCE_SET,
  PRESENCE_SWEEP,
  READ,
  RELEASE,
} from './scripts'
import { TopicFeed } from './topic-feed'
import { decodeBusMessage, encodeBody, eventFrame } from './wire'

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
  /** Resolves once connected (and rejects only if closed first); the engine is `down` until then. */
  ready(): Promise<void>
  /** The Redis connections of this node, for tests that cut them. */
  clientIds(): Promise<{ commands: number; subscriber: number }>
}

/** Error replies of a Redis that cannot serve for now, rather than of a command it refuses. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|OOM|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/

const defaultReconnectDelay = (attempt: number) => Math.min(50 * 2 ** attempt, 2_000)

/** A short random log name: 12 base64url characters, within the protocol's EPOCH_PATTERN. */
const createEpoch = () => randomBytes(9).toString('base64url')

/**
 * A Sluice engine on Redis, for running many server nodes behind a load balancer. Each topic's
 * log is a Redis Stream written by one Lua script per publish (next seq, entry, dedup, bus
 * message, atomically), so appends to a topic are totally ordered across nodes; epochs change
 * whenever Redis may have lost data; every node fills bus gaps from the log; presence, snapshot
 * holds, publish dedup and identity routing live in Redis, so any node serves any client.
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

  const names = nodeKeys(prefix)
  const nodeChannel = names.node(nodeId)
  const listeners = new Set<EngineListener>()
  const feeds = new Map<string, TopicFeed>()
  // This node's presence members, to put back after Redis lost them or this node was swept.
  const members = new Map<string, Map<string, PresenceMember>>()
  const held = new HeldAppends(holdPollMs)
  let port: RedisPort | undefined
  // The run_id of the Redis this node talks to; undefined while disconnected (commands fail fast).
  let runId: string | undefined
  let trusted = false
  let appendOrder = 0
  let closed = false
  let lastBusMessageAt = now()
  let probe: { token: string; timer: ReturnType<typeof setTimeout> } | undefined

  const report = (error: unknown, operation: string, topic?: string) => {
    try {
      onError(error, topic === undefined ? { operation } : { operation, topic })
    } catch {
      // A throwing onError must not take the engine down.
    }
  }

  const emit = <K extends keyof EngineListener>(method: K, ...args: Parameters<EngineListener[K]>): void => {
    for (const listener of listeners) (listener[method] as (...a: typeof args) => void)(...args)
  }

  const unavailable = (what: string, topic?: string, cause?: unknown) =>
    new ServerError('UNAVAILABLE', `the engine cannot reach Redis; ${what}`, {
      retryAfterMs,
      ...(topic === undefined ? {} : { topic }),
      ...(cause === undefined ? {} : { cause }),
    })

  // A reply error is Redis refusing the command: a bug (passed on, INTERNAL for the client), or
  // a state Redis leaves by itself (loading after a restart, a replica after a failover, out of
  // memory, a busy script), which is UNAVAILABLE like a lost connection.
  const failure = (error: unknown, what: string, topic?: string) =>
    error instanceof ErrorReply && !TRANSIENT_REPLY.test(error.message)
      ? error
      : unavailable(what, topic, error)

  const connected = (what: string, topic?: string): RedisPort => {
    if (port === undefined || runId === undefined || closed) throw unavailable(what, topic)
    return port
  }

  const run = async (
    script: LuaScript,
    keys: readonly string[],
    args: readonly string[],
    what: string,
    topic?: string,
  ): Promise<unknown> => {
    const redis = connected(what, topic)
    try {
      return await redis.script(script, keys, args)
    } catch (error) {
      throw failure(error, what, topic)
    }
  }

  // The key the command touches is its second argument (SADD key …); node-wide ones have none.
  const command = async (args: readonly string[], what: string, topic?: string): Promise<unknown> => {
    const redis = connected(what, topic)
    try {
      return await redis.command(args, args[0] === 'PUBLISH' ? undefined : args[1])
    } catch (error) {
      throw failure(error, what, topic)
    }
  }

  /** ARGV[1..7] of every log script (see PRELUDE in scripts.ts). */
  const logArgs = (topic: string): string[] => {
    const feed = feeds.get(topic)
    const knownEpoch = feed && feed.state !== 'starting' ? feed.epoch : ''
    return [
      runId ?? '',
      trusted ? '1' : '0',
      createEpoch(),
      knownEpoch,
      String(knownEpoch === '' ? 0 : (feed as TopicFeed).last),
      String(now() - maxAgeMs),
      String(topicTtlMs),
    ]
  }

  // ---------------------------------------------------------------------------
  // The log
  // ---------------------------------------------------------------------------

  const append = (topic: string, input: EventInput, dedup?: DedupOptions): Promise<AppendResult> => {
    const keys = topicKeys(prefix, topic)
    const body = encodeBody(input)
    const order = ++appendOrder
    return new Promise<AppendResult>((resolve, reject) => {
      const send = (retry: boolean) => {
        let args: string[]
        try {
          connected(`publish to ${topic} was not applied`, topic)
          args = [
            ...logArgs(topic),
            body,
            String(input.ts),
            String(maxEvents),
            dedup === undefined ? '0' : String(Math.max(1, dedup.windowMs)),
            keys.channel,
            retry ? '1' : '0',
            String(holdLeaseMs),
          ]
        } catch (error) {
          reject(error)
          return
        }
        const dedupKey = dedup === undefined ? keys.meta : keys.dedup(dedup.key)
        run(
          APPEND,
          [keys.meta, keys.log, keys.hold, keys.held(nodeId), dedupKey],
          args,
          `publish to ${topic} was not applied`,
          topic,
        ).then((reply) => {
          const [status, first, second] = reply as [string, string, number]
          if (status === 'ok') {
            resolve({
              duplicate: false,
              event: { type: 'event', topic, epoch: first, seq: Number(second), ...input },
            })
          } else if (status === 'dup') {
            const at = first.lastIndexOf(':')
            resolve({ duplicate: true, epoch: first.slice(0, at), seq: Number(first.slice(at + 1)) })
          } else if (closed) {
            reject(unavailable(`publish to ${topic} was not applied`, topic))
          } else {
            held.add(topic, { order, send, fail: reject })
          }
        }, reject)
      }
      // Behind appends that another node's snapshot hold refused: they go first, in order.
      if (held.has(topic)) held.add(topic, { order, send, fail: reject })
      else send(false)
    })
  }

  const head = async (topic: string): Promise<LogHead> => {
    const keys = topicKeys(prefix, topic)
    const [epoch, seq] = (await run(
      HEAD,
      [keys.meta, keys.log],
      logArgs(topic),
      `reading ${topic} failed`,
      topic,
    )) as [string, number]
    return { epoch, seq: Number(seq) }
  }

  const readAfter = async (topic: string, from: { epoch: string; seq: number }): Promise<ReadResult> => {
    const keys = topicKeys(prefix, topic)
    const events = []
    let after = from.seq
    // Page by page: the log is bounded by maxEvents, one read of it need not be.
    for (;;) {
      const reply = (await run(
        READ,
        [keys.meta, keys.log],
        [...logArgs(topic), from.epoch, String(after), String(pageSize)],
        `reading ${topic} failed`,
        topic,
      )) as [string, string, number, Array<[string, string[]]>?]
      const [status, epoch, rawHead, entries = []] = reply
      const headSeq = Number(rawHead)
      if (status !== 'ok') {
        return { ok: false, reason: status as 'too_old' | 'epoch_changed' | 'ahead', epoch, head: headSeq }
      }
      for (const [id, fields] of entries) {
        const seq = Number.parseInt(id, 10)
        events.push(eventFrame(topic, epoch, seq, fields[3] as string))
        after = seq
      }
      if (entries.length < pageSize || after >= headSeq)
        return { ok: true, epoch, head: Math.max(headSeq, after), events }
    }
  }

  // ---------------------------------------------------------------------------
  // The bus
  // ---------------------------------------------------------------------------

  const feedDeps = {
    read: readAfter,
    event: (event: Parameters<EngineListener['event']>[0]) => emit('event', event),
    lost: (topic: string, lost: Parameters<EngineListener['lost']>[1]) => emit('lost', topic, lost),
    retryMs: retryAfterMs,
    report: (error: unknown, topic: string) => report(error, 'fill', topic),
  }

  const topicOfChannel = (channel: string): string | undefined => {
    const start = prefix.length + 2
    if (!channel.startsWith(`${prefix}:{`) || !channel.endsWith('}:bus')) return undefined
    return channel.slice(start, -5)
  }

  const onMessage = (message: string, channel: string) => {
    lastBusMessageAt = now()
    try {
      if (channel === nodeChannel) {
        onNodeMessage(message)
        return
      }
      if (channel === names.identity) {
        const cut = message.indexOf('\n')
        emit('identity', message.slice(0, cut), JSON.parse(message.slice(cut + 1)) as IdentityMessage)
        return
      }
      const topic = topicOfChannel(channel)
      const feed = topic === undefined ? undefined : feeds.get(topic)
      if (feed === undefined || topic === undefined) return
      const decoded = decodeBusMessage(message)
      if (decoded === null) return
      if (decoded.type === 'event') feed.offer(decoded.epoch, decoded.seq, decoded.body)
      else emit('presence', { topic, ...decoded.change })
    } catch (error) {
      report(error, 'bus message', topicOfChannel(channel))
    }
  }

  // ---------------------------------------------------------------------------
  // Messages for this node: its bus probe, and SSE command POSTs routed between nodes
  // ---------------------------------------------------------------------------

  const forwarded = new Map<
    string,
    { resolve: (answer: SseCommandAnswer) => void; timer: ReturnType<typeof setTimeout> }
  >()

  const onNodeMessage = (message: string) => {
    if (message.startsWith('probe:')) {
      if (probe !== undefined && message === `probe:${probe.token}`) {
        clearTimeout(probe.timer)
        probe = undefined
      }
      return
    }
    const payload = JSON.parse(message.slice(1)) as
      | { from: string; id: string; request: SseCommandRequest }
      | { id: string; answer: SseCommandAnswer }
    if (message[0] === 'r' && 'answer' in payload) {
      const waiting = forwarded.get(payload.id)
      if (waiting === undefined) return
      forwarded.delete(payload.id)
      clearTimeout(waiting.timer)
      waiting.resolve(payload.answer)
      return
    }
    if (message[0] === 'c' && 'request' in payload) {
      let answer: SseCommandAnswer = { status: 404, body: null }
      for (const listener of listeners) {
        answer = listener.sseCommands(payload.request)
        break
      }
      command(
        ['PUBLISH', names.node(payload.from), `r${JSON.stringify({ id: payload.id, answer })}`],
        'answering a forwarded SSE command',
      ).catch((error) => report(error, 'sse command answer'))
    }
  }

  const forwardSseCommands = async (
    node: string,
    request: SseCommandRequest,
  ): Promise<SseCommandAnswer | null> => {
    const id = randomBytes(9).toString('base64url')
    const answer = new Promise<SseCommandAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        forwarded.delete(id)
        reject(unavailable('the node holding this SSE stream did not answer in time'))
      }, commandTimeoutMs)
      timer.unref?.()
      forwarded.set(id, { resolve, timer })
    })
    answer.catch(() => {})
    let receivers: unknown
    try {
      // Listening before sending: the answer may come back before PUBLISH's own reply.
      receivers = await command(
        ['PUBLISH', names.node(node), `c${JSON.stringify({ from: nodeId, id, request })}`],
        'forwarding an SSE command failed',
      )
    } catch (error) {
      clearTimeout(forwarded.get(id)?.timer)
      forwarded.delete(id)
      throw error
    }
    if (Number(receivers) === 0) {
      clearTimeout(forwarded.get(id)?.timer)
      forwarded.delete(id)
      return null
    }
    return answer
  }

  const fillAll = () => {
    for (const feed of feeds.values()) feed.fill()
  }

  const watch = async (topic: string): Promise<void> => {
    const redis = connected(`subscribing to ${topic} failed`, topic)
    const feed = new TopicFeed(topic, feedDeps)
    feeds.set(topic, feed)
    const keys = topicKeys(prefix, topic)
    try {
      // Subscribed first, then the head: every event after the head arrives on the bus (or is
      // found missing by the feed), so a log read after watch() misses nothing.
      await redis.subscribe(keys.channel)
      const at = await head(topic)
      feed.start(at.epoch, at.seq)
    } catch (error) {
      if (feeds.get(topic) === feed) {
        feeds.delete(topic)
        feed.close()
        redis.unsubscribe(keys.channel).catch(() => {})
      }
      throw error instanceof ServerError ? error : failure(error, `subscribing to ${topic} failed`, topic)
    }
  }

  const unwatch = (topic: string): void => {
    const feed = feeds.get(topic)
    if (feed === undefined) return
    feeds.delete(topic)
    feed.close()
    port?.unsubscribe(topicKeys(prefix, topic).channel).catch((error) => report(error, 'unsubscribe', topic))
  }

  // An idle bus says nothing either way: a probe through it tells a quiet topic from a
  // subscriber connection that stopped delivering (a replaced one misses nothing: see fillAll).
  const probeTimer = setInterval(
    () => {
      if (port === undefined || runId === undefined || probe !== undefined) return
      if (now() - lastBusMessageAt < probeIntervalMs) return
      const token = randomBytes(6).toString('base64url')
      const timer = setTimeout(() => {
        if (probe?.token !== token) return
        probe = undefined
        report(
          new Error(`no probe back in ${probeTimeoutMs} ms: replacing the subscriber connection`),
          'bus probe',
        )
        port
          ?.resetSubscriber()
          .then(fillAll)
          .catch((error) => report(error, 'bus reconnect'))
      }, probeTimeoutMs)
      timer.unref?.()
      probe = { token, timer }
      port.command(['PUBLISH', nodeChannel, `probe:${token}`]).catch(() => {
        // Commands fail too: the command connection's reconnect handles it.
      })
    },
    Math.max(10, Math.floor(probeIntervalMs / 2)),
  )
  probeTimer.unref?.()

  // ---------------------------------------------------------------------------
  // Presence
  // ---------------------------------------------------------------------------

  const stored = (member: PresenceMember) => JSON.stringify({ member, node: nodeId })

  const setPresence = async (topic: string, member: PresenceMember): Promise<void> => {
    const keys = topicKeys(prefix, topic)
    let local = members.get(topic)
    if (!local) {
      local = new Map()
      members.set(topic, local)
    }
    local.set(member.connectionId, member)
    // The topic is listed under this node first, so a sweep after its death finds the member.
    await command(['SADD', names.presenceTopics(nodeId), topic], `presence on ${topic} failed`, topic)
    await run(
      PRESENCE_SET,
      [keys.presence],
      [member.connectionId, stored(member), keys.channel],
      `presence on ${topic} failed`,
      topic,
    )
  }

  const removePresence = async (topic: string, connectionId: string): Promise<void> => {
    const local = members.get(topic)
    local?.delete(connectionId)
    if (local?.size === 0) members.delete(topic)
    const keys = topicKeys(prefix, topic)
    await run(
      PRESENCE_REMOVE,
      [keys.presence],
      [connectionId, keys.channel],
      `leaving presence on ${topic} failed`,
      topic,
    )
  }

  const presence = async (topic: string): Promise<PresenceMember[]> => {
    const values = (await command(
      ['HVALS', topicKeys(prefix, topic).presence],
      `reading presence of ${topic} failed`,
      topic,
    )) as string[]
    return values.map((value) => (JSON.parse(value) as { member: PresenceMember }).member)
  }

  /** Removes a node's members of every topic it listed, except `keep`'s; each gets one leave. */
  const sweep = async (node: string, keep: Map<string, Map<string, PresenceMember>> = new Map()) => {
    const topics = (await command(['SMEMBERS', names.presenceTopics(node)], 'presence sweep')) as string[]
    for (const topic of topics) {
      const keys: TopicKeys = topicKeys(prefix, topic)
      await run(
        PRESENCE_SWEEP,
        [keys.presence],
        [node, keys.channel, ...(keep.get(topic)?.keys() ?? [])],
        'presence sweep',
        topic,
      )
    }
  }

  // After Redis lost this node's members (a restart) or a survivor swept them (this node looked
  // dead): stale ones of this node go, live ones are put back (a join where they were missing).
  const restorePresence = async () => {
    await sweep(nodeId, members)
    for (const [topic, local] of members) {
      for (const member of local.values()) await setPresence(topic, member)
    }
  }

  const lease = new NodeLease({
    nodeId,
    leaseMs: nodeLeaseMs,
    beat: async () => {
      const reply = (await run(NODE_BEAT, [names.nodes], [nodeId, String(nodeLeaseMs)], 'node lease')) as [
        number,
        ...string[],
      ]
      return { wasMissing: Number(reply[0]) === 1, dead: reply.slice(1) as string[] }
    },
    sweepDead: async (node) => {
      await sweep(node)
      await command(['DEL', names.presenceTopics(node)], 'presence sweep')
      await command(['ZREM', names.nodes, node], 'presence sweep')
    },
    restore: restorePresence,
    report: (error) => report(error, 'node lease'),
  })

  // ---------------------------------------------------------------------------
  // Connection
  // ---------------------------------------------------------------------------

  const learnServer = async (redis: RedisPort) => {
    // Each master of a cluster has its own run_id: the scripts ask the one they run on.
    if (options.cluster !== undefined) {
      trusted = options.trustPersistence ?? false
      return ''
    }
    const info = String(await redis.command(['INFO', 'server']))
    const id = /run_id:([0-9a-f]+)/.exec(info)?.[1]
    if (id === undefined) throw new Error('INFO server reported no run_id')
    if (options.trustPersistence !== undefined) trusted = options.trustPersistence
    else {
      try {
        const config = configOf(await redis.command(['CONFIG', 'GET', 'append*']))
        trusted = config.appendonly === 'yes' && config.appendfsync === 'always'
      } catch {
        trusted = false
      }
    }
    return id
  }

  let markReady: () => void = () => {}
  let markFailed: (error: unknown) => void = () => {}
  const readyPromise = new Promise<void>((resolve, reject) => {
    markReady = resolve
    markFailed = reject
  })
  readyPromise.catch(() => {})

  let started = false
  const onCommandsReady = (redis: RedisPort) => {
    learnServer(redis).then(
      (id) => {
        if (closed) return
        runId = id
        if (!started) {
          started = true
          markReady()
          lease.start()
          return
        }
        // Redis is back (perhaps restarted, perhaps another one after a failover): every
        // watched topic checks its epoch and fills what it missed; presence is put back.
        fillAll()
        restorePresence().catch((error) => report(error, 'presence restore'))
      },
      (error) => {
        report(error, 'connect')
        // A Redis still loading its data answers LOADING on a connection that is ready: ask
        // again, or the engine would stay down with nothing to wake it.
        if (closed) return
        const retry = setTimeout(() => {
          if (runId === undefined && !closed) onCommandsReady(redis)
        }, retryAfterMs)
        retry.unref?.()
      },
    )
  }

  const portOptions = {
    name: `${prefix}:${nodeId}`,
    commandTimeoutMs,
    reconnectDelay,
    connectTimeoutMs: commandTimeoutMs,
  }
  const portEvents: RedisPortEvents = {
    message: onMessage,
    commandsReady: () => {
      if (port !== undefined) onCommandsReady(port)
    },
    commandsLost: () => {
      runId = undefined
    },
    subscriberReady: (first) => {
      if (!first && runId !== undefined) fillAll()
    },
    error: (error) => report(error, 'redis connection'),
  }
  const connecting =
    options.cluster === undefined
      ? createRedisPort({ url, ...portOptions }, portEvents)
      : createRedisClusterPort({ rootNodes: options.cluster.rootNodes, ...portOptions }, portEvents)
  // The node's own channels first: until `port` is set, a reconnect reported meanwhile cannot
  // make the engine ready before they deliver. A failure (Redis gone again) is tried again.
  const adopt = async (created: RedisPort): Promise<void> => {
    try {
      await created.subscribe(nodeChannel)
      await created.subscribe(names.identity)
    } catch (error) {
      report(error, 'connect')
      if (closed) {
        await created.close()
        return
      }
      await new Promise((resolve) => setTimeout(resolve, retryAfterMs))
      return adopt(created)
    }
    if (closed) {
      await created.close()
      return
    }
    port = created
    onCommandsReady(created)
  }

  connecting.then(adopt, (error) => {
    report(error, 'connect')
    markFailed(error)
  })

  return {
    nodeId,
    ready: () => readyPromise,
    clientIds: () => connected('no connection').clientIds(),
    append,
    head,
    readAfter,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    watch,
    unwatch,
    async hold(topic) {
      const keys = topicKeys(prefix, topic)
      await run(HOLD, [keys.hold], [String(holdLeaseMs)], `holding ${topic} for a snapshot failed`, topic)
      let released = false
      return () => {
        if (released) return
        released = true
        // A release that fails ends with the hold's lease.
        run(RELEASE, [keys.hold], [], `releasing ${topic}`, topic).catch((error) =>
          report(error, 'release', topic),
        )
      }
    },
    setPresence,
    removePresence,
    presence,
    async sendToIdentity(identityId: string, message: IdentityMessage) {
      await command(
        ['PUBLISH', names.identity, `${identityId}\n${JSON.stringify(message)}`],
        `routing to ${identityId} failed`,
      )
    },
    status: (): EngineStatus => (runId !== undefined && !closed ? 'up' : 'down'),
    forwardSseCommands,
    async close() {
      if (closed) return
      clearInterval(probeTimer)
      if (probe) clearTimeout(probe.timer)
      lease.stop()
      const redis = port
      // A clean stop leaves at once instead of waiting for its lease to run out.
      if (redis !== undefined && runId !== undefined) {
        try {
          await sweep(nodeId)
          await redis.command(['DEL', names.presenceTopics(nodeId)], names.presenceTopics(nodeId))
          await redis.command(['ZREM', names.nodes, nodeId], names.nodes)
        } catch (error) {
          report(error, 'close')
        }
      }
      closed = true
      held.close(unavailable('the engine closed'))
      for (const feed of feeds.values()) feed.close()
      feeds.clear()
      markFailed(new Error('the Redis engine was closed'))
      await redis?.close()
    },
  }
}

/** CONFIG GET's answer as an object, from RESP2 (a flat array) or RESP3 (a map). */
function configOf(reply: unknown): Record<string, string> {
  if (Array.isArray(reply)) {
    const out: Record<string, string> = {}
    for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1])
    return out
  }
  if (reply instanceof Map) return Object.fromEntries([...reply].map(([k, v]) => [String(k), String(v)]))
  return reply as Record<string, string>
}
