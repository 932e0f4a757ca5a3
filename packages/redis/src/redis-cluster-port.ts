import { randomBytes } from 'node:crypto'
import { createCluster, type RedisClusterType } from 'redis'
import type { RedisPort, RedisPortEvents, RedisPortOptions } from './redis-port'
import { type LuaScript, withSource } from './scripts'

/** The prefix of a confirmation message: no engine message starts with it (see wire.ts). */
const CONFIRM = '~confirm:'
const CONFIRM_WAIT_MS = 100
const CONFIRM_ATTEMPTS = 50

export interface RedisClusterPortOptions extends Omit<RedisPortOptions, 'url'> {
  /** Nodes to discover the cluster from. */
  rootNodes: readonly string[]
}

/**
 * The {@link RedisPort} on a Redis Cluster. Scripts and keyed commands go to the master of their
 * first key's slot (every key of a topic shares the topic's hash tag, so a script touches one
 * slot). Pub/sub is sharded (SPUBLISH, SSUBSCRIBE): a channel lives on the master of its slot,
 * the topic's channel on the topic's master. Classic PUBLISH would be forwarded across the
 * cluster bus, which reorders messages from different nodes and was seen to drop some; a shard
 * delivers its channel's messages in order, and SPUBLISH counts the receivers exactly (the SSE
 * command routing relies on that). node-redis follows a channel when its slot moves; the engine's
 * probe and gap filling cover what a move loses.
 */
export async function createRedisClusterPort(
  options: RedisClusterPortOptions,
  events: RedisPortEvents,
): Promise<RedisPort> {
  const channels = new Set<string>()
  // Messages this port sends itself to see a subscription deliver; never passed on.
  const confirmations = new Map<string, () => void>()
  const listener = (message: string, channel: string) => {
    if (message.startsWith(CONFIRM)) confirmations.get(message)?.()
    else events.message(message, channel)
  }
  // node-redis types SUNSUBSCRIBE's listener as taking strings or Buffers; ours is only ever
  // subscribed in string mode, so it is the same function it registered.
  const registered = listener as unknown as Parameters<RedisClusterType['sUnsubscribe']>[1]
  const cluster: RedisClusterType = createCluster({
    rootNodes: options.rootNodes.map((url) => ({ url })),
    defaults: {
      // As on one node: a command while disconnected fails at once instead of queueing.
      disableOfflineQueue: true,
      name: `${options.name}:cmd`,
      socket: {
        connectTimeout: options.connectTimeoutMs,
        reconnectStrategy: (retries: number) => options.reconnectDelay(retries),
      },
    },
  })
  cluster.on('error', (error: unknown) => events.error(error))
  let connected = false
  // A node of the cluster ready again may have restarted empty (its topics need new epochs) or
  // now hold the pub/sub connection (what the move lost needs filling): the engine checks every
  // watched topic, as after a reconnect to a single Redis.
  cluster.on('node-ready', () => {
    if (!connected) return
    events.commandsReady()
    events.subscriberReady(false)
  })
  await cluster.connect()
  connected = true
  const commandOptions = { timeout: options.commandTimeoutMs, rejectInFlight: true }
  const send = (key: string | undefined, args: readonly string[]) =>
    cluster.sendCommand(key, false, [...args], commandOptions)
  const sharded = new Map<LuaScript, LuaScript>()
  const shardedScript = (script: LuaScript) => {
    let found = sharded.get(script)
    if (!found) {
      found = withSource(script, script.source.replaceAll("redis.call('PUBLISH'", "redis.call('SPUBLISH'"))
      sharded.set(script, found)
    }
    return found
  }

  // SSUBSCRIBE can resolve before the channel's master delivers to it (node-redis may first
  // reach another node and be moved): a SPUBLISH right after it was seen to find no receiver.
  // The subscription counts as made once a message of our own came back through it.
  const confirm = async (channel: string) => {
    for (let attempt = 0; attempt < CONFIRM_ATTEMPTS; attempt++) {
      const token = `${CONFIRM}${randomBytes(9).toString('base64url')}`
      const back = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), CONFIRM_WAIT_MS)
        confirmations.set(token, () => {
          clearTimeout(timer)
          resolve(true)
        })
      })
      await send(channel, ['SPUBLISH', channel, token])
      const delivered = await back
      confirmations.delete(token)
      if (delivered) return
    }
    throw new Error(
      `the subscription to ${channel} delivered nothing in ${CONFIRM_ATTEMPTS * CONFIRM_WAIT_MS} ms`,
    )
  }

  return {
    async script(original: LuaScript, keys, args) {
      const script = shardedScript(original)
      const first = keys[0]
      try {
        return await send(first, ['EVALSHA', script.sha, String(keys.length), ...keys, ...args])
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
        return send(first, ['EVAL', script.source, String(keys.length), ...keys, ...args])
      }
    },
    // A channel is its own key: SPUBLISH goes to the master of the channel's slot.
    command: (args, key) =>
      args[0] === 'PUBLISH' ? send(args[1], ['SPUBLISH', ...args.slice(1)]) : send(key, args),
    async subscribe(channel) {
      channels.add(channel)
      await cluster.sSubscribe(channel, listener, false)
      await confirm(channel)
    },
    async unsubscribe(channel) {
      channels.delete(channel)
      await cluster.sUnsubscribe(channel, registered, false)
    },
    async resetSubscriber() {
      // Subscribed again from scratch, on a fresh connection to each channel's master.
      for (const channel of channels) {
        await cluster.sUnsubscribe(channel, registered, false)
        await cluster.sSubscribe(channel, listener, false)
        await confirm(channel)
      }
      events.subscriberReady(false)
    },
    async clientIds() {
      throw new Error('clientIds() names the connections of a single Redis, not of a cluster')
    },
    async close() {
      cluster.destroy()
    },
  }
}
