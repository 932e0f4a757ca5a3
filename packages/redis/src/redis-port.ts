import { createClient, type RedisClientType } from 'redis'
import type { LuaScript } from './scripts'

/**
 * The small surface the engine needs from Redis, so the engine reads as what it does, and
 * tests can name the connections they cut (`CLIENT KILL ID`). One connection runs commands
 * and scripts (node-redis pipelines them in call order, which is what keeps one node's appends
 * in call order); a second one holds the pub/sub subscriptions.
 */
export interface RedisPort {
  /** Runs a script by SHA, loading it on NOSCRIPT (a restarted Redis has none). */
  script(script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown>
  /** Runs a plain command; `key` is the key it touches (a cluster routes by it), none for any node. */
  command(args: readonly string[], key?: string): Promise<unknown>
  /** Subscribes the subscriber connection to a channel; resolves once Redis confirmed it. */
  subscribe(channel: string): Promise<void>
  unsubscribe(channel: string): Promise<void>
  /** Replaces the subscriber connection (one that stopped delivering) and subscribes the new one to every channel. */
  resetSubscriber(): Promise<void>
  /** The Redis client ids of the two connections, for tests that cut them. */
  clientIds(): Promise<{ commands: number; subscriber: number }>
  /** Closes every connection at once; what is still pending fails. */
  close(): Promise<void>
}

export interface RedisPortEvents {
  /** A message on a subscribed channel. */
  message(message: string, channel: string): void
  /** The command connection is ready (again, after a reconnect). */
  commandsReady(): void
  /** The command connection was lost; commands fail until commandsReady. */
  commandsLost(): void
  /** The subscriber connection is ready (again) with every channel resubscribed: messages sent meanwhile were lost. */
  subscriberReady(first: boolean): void
  /** Connection errors, for the log. */
  error(error: unknown): void
}

export interface RedisPortOptions {
  url: string
  /** Connection names (CLIENT SETNAME): `<name>:cmd` and `<name>:bus`, so an operator or a test can find them in CLIENT LIST. */
  name: string
  /** A command that gets no answer in this time fails (and the engine answers UNAVAILABLE). */
  commandTimeoutMs: number
  /** Delay before each reconnect attempt, in ms. */
  reconnectDelay: (attempt: number) => number
  /** For node-redis `socket.connectTimeout`. */
  connectTimeoutMs: number
}

/** Connects to Redis with node-redis. Resolves once both connections are ready. */
export async function createRedisPort(
  options: RedisPortOptions,
  events: RedisPortEvents,
): Promise<RedisPort> {
  const channels = new Set<string>()
  const listener = (message: string, channel: string) => events.message(message, channel)
  const commands: RedisClientType = createClient({
    url: options.url,
    name: `${options.name}:cmd`,
    // A command while disconnected fails at once: a publish must fail fast (UNAVAILABLE), never
    // wait in an unbounded queue in memory.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: options.connectTimeoutMs,
      reconnectStrategy: (retries) => options.reconnectDelay(retries),
    },
  })
  const commandOptions = { timeout: options.commandTimeoutMs, rejectInFlight: true }

  const watch = (client: RedisClientType, onReady: (first: boolean) => void, onLost?: () => void) => {
    let readyOnce = false
    client.on('error', (error: unknown) => events.error(error))
    client.on('ready', () => {
      const first = !readyOnce
      readyOnce = true
      onReady(first)
    })
    if (onLost) {
      client.on('reconnecting', onLost)
      client.on('end', onLost)
    }
  }

  const newSubscriber = () => commands.duplicate({ name: `${options.name}:bus` }) as RedisClientType
  let subscriber = newSubscriber()
  let closed = false
  // A replacement (resubscribe) is ready only once its channels are subscribed again; its own
  // later reconnects resubscribe by themselves (node-redis does, before 'ready').
  const connectSubscriber = async (client: RedisClientType, resubscribe: boolean) => {
    watch(client, (first) => {
      if (client === subscriber && !(first && resubscribe)) events.subscriberReady(first)
    })
    await client.connect()
    if (!resubscribe) return
    if (channels.size > 0) await client.subscribe([...channels], listener)
    if (client === subscriber) events.subscriberReady(false)
  }

  watch(
    commands,
    () => events.commandsReady(),
    () => events.commandsLost(),
  )
  await commands.connect()
  await connectSubscriber(subscriber, false)

  const sendCommand = (args: readonly string[]) => commands.sendCommand([...args], commandOptions)

  return {
    async script(script, keys, args) {
      const call = ['EVALSHA', script.sha, String(keys.length), ...keys, ...args]
      try {
        return await sendCommand(call)
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
        return sendCommand(['EVAL', script.source, String(keys.length), ...keys, ...args])
      }
    },
    command: sendCommand,
    async subscribe(channel) {
      channels.add(channel)
      await subscriber.subscribe(channel, listener)
    },
    async unsubscribe(channel) {
      channels.delete(channel)
      await subscriber.unsubscribe(channel, listener)
    },
    async resetSubscriber() {
      if (closed) return
      const old = subscriber
      subscriber = newSubscriber()
      old.destroy()
      await connectSubscriber(subscriber, true)
    },
    async clientIds() {
      const list = String(await sendCommand(['CLIENT', 'LIST']))
      const idOf = (name: string) => {
        const line = list.split('\n').find((l) => l.includes(` name=${name} `))
        return Number(/(?:^|\s)id=(\d+)/.exec(line ?? '')?.[1] ?? -1)
      }
      return { commands: idOf(`${options.name}:cmd`), subscriber: idOf(`${options.name}:bus`) }
    },
    // At once, not gracefully: the engine has said its goodbye (or given up on it), and a
    // graceful close would wait on whatever a dead Redis still owes.
    async close() {
      closed = true
      commands.destroy()
      subscriber.destroy()
    },
  }
}
