import { createCluster, type RedisClusterType } from 'redis'
import type { RedisPort, RedisPortEvents, RedisPortOptions } from './redis-port'
import type { LuaScript } from './scripts'

export interface RedisClusterPortOptions extends Omit<RedisPortOptions, 'url'> {
  /** Nodes to discover the cluster from. */
  rootNodes: readonly string[]
}

/**
 * The {@link RedisPort} on a Redis Cluster. Scripts and keyed commands go to the master of their
 * first key's slot (every key of a topic shares the topic's hash tag, so a script touches one
 * slot); classic pub/sub reaches every node's subscribers (Redis forwards PUBLISH across the
 * cluster bus), so the subscriber connection may sit on any node. node-redis moves it when its
 * node goes away; the engine's probe and gap filling cover what that move loses.
 */
export async function createRedisClusterPort(
  options: RedisClusterPortOptions,
  events: RedisPortEvents,
): Promise<RedisPort> {
  const channels = new Set<string>()
  const listener = (message: string, channel: string) => events.message(message, channel)
  // node-redis types UNSUBSCRIBE's listener as taking strings or Buffers; ours is only ever
  // subscribed in string mode, so it is the same function it registered.
  const registered = listener as unknown as Parameters<RedisClusterType['unsubscribe']>[1]
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
    events.commandsReady(false)
    events.subscriberReady(false)
  })
  await cluster.connect()
  connected = true
  const commandOptions = { timeout: options.commandTimeoutMs, rejectInFlight: true }
  const send = (key: string | undefined, args: readonly string[]) =>
    cluster.sendCommand(key, false, [...args], commandOptions)

  return {
    async script(script: LuaScript, keys, args) {
      const first = keys[0]
      try {
        return await send(first, ['EVALSHA', script.sha, String(keys.length), ...keys, ...args])
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
        return send(first, ['EVAL', script.source, String(keys.length), ...keys, ...args])
      }
    },
    command: (args, key) => send(key, args),
    async subscribe(channel) {
      channels.add(channel)
      await cluster.subscribe(channel, listener, false)
    },
    async unsubscribe(channel) {
      channels.delete(channel)
      await cluster.unsubscribe(channel, registered, false)
    },
    async resetSubscriber() {
      // Subscribed again from scratch: node-redis picks a node for the pub/sub connection anew.
      const all = [...channels]
      await cluster.unsubscribe(all, registered, false)
      await cluster.subscribe(all, listener, false)
      events.subscriberReady(false)
    },
    async clientIds() {
      throw new Error('clientIds() names the connections of a single Redis, not of a cluster')
    },
    async close() {
      await cluster.close()
    },
  }
}
