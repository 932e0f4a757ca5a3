import type { EngineStatus } from '@sluice/server-node'
import { ServerError } from '@sluice/server-node'
import { ErrorReply } from 'redis'
import type { RedisPort, RedisPortEvents } from './redis-port'
import type { LuaScript } from './scripts'

/** Error replies of a Redis that cannot serve for now, rather than of a command it refuses. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|OOM|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/

export interface RedisLinkOptions {
  /** Opens the port (one Redis or a cluster) with the link's event handlers. */
  connect(events: RedisPortEvents): Promise<RedisPort>
  /** Channels subscribed before the link is ready (this node's own). */
  ownChannels: readonly string[]
  /** On a cluster each master has its own run_id: the scripts ask the master they run on. */
  cluster: boolean
  trustPersistence: boolean | undefined
  /** The `retryAfterMs` of UNAVAILABLE, and the pause before retrying a failed start step. */
  retryAfterMs: number
  message(message: string, channel: string): void
  /** Redis came back after a loss (perhaps restarted, perhaps another one after a failover). */
  back(): void
  /** The subscriber connection came back: what was published meanwhile was not delivered. */
  busBack(): void
  report(error: unknown, operation: string, topic?: string): void
}

/**
 * This node's link to Redis: the port, whether it can serve, and the calls every part of the
 * engine makes through it. A call while the link is down fails at once with UNAVAILABLE (no
 * queue in memory); a reply error that means "Redis cannot serve for now" (loading, busy, a
 * replica after a failover, out of memory) is UNAVAILABLE too, any other reply error is passed
 * on (the client sees INTERNAL).
 *
 * It also keeps the run_id the scripts' epoch check needs (see PRELUDE in scripts.ts): learnt on
 * every (re)connect before the link counts as up, so no script runs with a stale one.
 */
export class RedisLink {
  #port: RedisPort | undefined
  // The run_id of the Redis this node talks to ('' on a cluster); undefined while disconnected.
  #runId: string | undefined
  #trusted = false
  #started = false
  #closed = false
  readonly #options: RedisLinkOptions
  readonly #ready: Promise<void>
  #markReady: () => void = () => {}
  #markFailed: (error: unknown) => void = () => {}

  constructor(options: RedisLinkOptions) {
    this.#options = options
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#markReady = resolve
      this.#markFailed = reject
    })
    this.#ready.catch(() => {})
    options
      .connect({
        message: (message, channel) => options.message(message, channel),
        commandsReady: () => {
          if (this.#port !== undefined) this.#learn(this.#port)
        },
        commandsLost: () => {
          this.#runId = undefined
        },
        subscriberReady: (first) => {
          if (!first && this.#runId !== undefined) options.busBack()
        },
        error: (error) => options.report(error, 'redis connection'),
      })
      .then(
        (port) => this.#adopt(port),
        (error) => {
          options.report(error, 'connect')
          this.#markFailed(error)
        },
      )
  }

  /** Resolves once connected the first time; rejects only if closed first. */
  ready(): Promise<void> {
    return this.#ready
  }

  get status(): EngineStatus {
    return this.#runId !== undefined && !this.#closed ? 'up' : 'down'
  }

  get closed(): boolean {
    return this.#closed
  }

  /** ARGV[1] and ARGV[2] of the log scripts: the run_id and whether restarts are trusted. */
  get vouching(): [string, string] {
    return [this.#runId ?? '', this.#trusted ? '1' : '0']
  }

  unavailable(what: string, topic?: string, cause?: unknown): ServerError {
    return new ServerError('UNAVAILABLE', `the engine cannot reach Redis; ${what}`, {
      retryAfterMs: this.#options.retryAfterMs,
      ...(topic === undefined ? {} : { topic }),
      ...(cause === undefined ? {} : { cause }),
    })
  }

  /** The port, or UNAVAILABLE naming `what` failed. */
  port(what: string, topic?: string): RedisPort {
    if (this.#port === undefined || this.#runId === undefined || this.#closed)
      throw this.unavailable(what, topic)
    return this.#port
  }

  /** The error a failed call answers with: UNAVAILABLE, or Redis's own refusal. */
  failure(error: unknown, what: string, topic?: string): unknown {
    if (error instanceof ErrorReply && !TRANSIENT_REPLY.test(error.message)) return error
    return this.unavailable(what, topic, error)
  }

  async run(
    script: LuaScript,
    keys: readonly string[],
    args: readonly string[],
    what: string,
    topic?: string,
  ): Promise<unknown> {
    const port = this.port(what, topic)
    try {
      return await port.script(script, keys, args)
    } catch (error) {
      throw this.failure(error, what, topic)
    }
  }

  /** A plain command; the key it touches is its second argument (SADD key …, PUBLISH channel …). */
  async command(args: readonly string[], what: string, topic?: string): Promise<unknown> {
    const port = this.port(what, topic)
    try {
      return await port.command(args, args[1])
    } catch (error) {
      throw this.failure(error, what, topic)
    }
  }

  /**
   * Closes the port after `goodbye` (run while the link is up, for at most `goodbyeMs`: a Redis
   * that went away without the link noticing yet must not hold a shutdown for a timeout per
   * command).
   */
  async close(goodbye: () => Promise<void>, goodbyeMs: number): Promise<void> {
    if (this.#closed) return
    if (this.status === 'up') {
      let timer: ReturnType<typeof setTimeout> | undefined
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, goodbyeMs)
      })
      const said = goodbye().catch((error) => this.#options.report(error, 'close'))
      await Promise.race([said, deadline])
      clearTimeout(timer)
    }
    this.#closed = true
    this.#markFailed(new Error('the Redis engine was closed'))
    await this.#port?.close()
  }

  // This node's own channels first: until the port is adopted, a reconnect reported meanwhile
  // cannot make the link ready before they deliver. A failure (Redis gone again) is tried again.
  async #adopt(port: RedisPort): Promise<void> {
    try {
      for (const channel of this.#options.ownChannels) await port.subscribe(channel)
    } catch (error) {
      this.#options.report(error, 'connect')
      if (!this.#closed) {
        await new Promise((resolve) => setTimeout(resolve, this.#options.retryAfterMs))
        return this.#adopt(port)
      }
    }
    if (this.#closed) {
      await port.close()
      return
    }
    this.#port = port
    this.#learn(port)
  }

  #learn(port: RedisPort): void {
    this.#serverOf(port).then(
      (runId) => {
        if (this.#closed) return
        this.#runId = runId
        if (this.#started) {
          this.#options.back()
          return
        }
        this.#started = true
        this.#markReady()
      },
      (error) => {
        this.#options.report(error, 'connect')
        // A Redis still loading its data answers LOADING on a connection that is ready: ask
        // again, or the link would stay down with nothing to wake it.
        if (this.#closed) return
        const retry = setTimeout(() => {
          if (this.#runId === undefined && !this.#closed) this.#learn(port)
        }, this.#options.retryAfterMs)
        retry.unref?.()
      },
    )
  }

  async #serverOf(port: RedisPort): Promise<string> {
    const { cluster, trustPersistence } = this.#options
    if (cluster) {
      this.#trusted = trustPersistence ?? false
      return ''
    }
    const info = String(await port.command(['INFO', 'server']))
    const runId = /run_id:([0-9a-f]+)/.exec(info)?.[1]
    if (runId === undefined) throw new Error('INFO server reported no run_id')
    if (trustPersistence !== undefined) this.#trusted = trustPersistence
    else {
      try {
        const config = configOf(await port.command(['CONFIG', 'GET', 'append*']))
        this.#trusted = config.appendonly === 'yes' && config.appendfsync === 'always'
      } catch {
        this.#trusted = false
      }
    }
    return runId
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
