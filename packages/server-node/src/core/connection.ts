import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import {
  type ClientFrame,
  CloseCode,
  closeCodeFor,
  type DecodeResult,
  decodeClientMessage,
  type ErrorFrame,
  PROTOCOL_VERSION,
  type ServerFrame,
  type SubscriptionRequest,
  type WelcomeFrame,
  type WireErrorCode,
} from '@sluice/protocol'
import type { Identity } from '../identity'
import { logProtocolError } from '../observability/refusal-log'
import type { ConnectionInfo } from '../options'
import { refreshAuth } from './auth-refresh'
import { runCall } from './calls'
import type { EchoExclusions } from './echo-exclusions'
import { errorFrame, errorFrameFor, isExposable } from './errors'
import { history } from './history'
import { createCommandLimiter, isSlowConsumer } from './limits'
import { setPresence } from './presence'
import { clientPublish } from './publish-command'
import type { Runtime } from './runtime'
import type { SharedFrame } from './shared-frame'
import type { FrameWriter, Sink } from './sink'
import { endSubscription, subscribe, unsubscribe } from './subscribe'
import type { Subscription, SubscriptionOwner } from './subscription'
import type { Scheduled } from './timer-heap'

// setTimeout takes at most 2^31-1 ms; longer delays are re-armed in steps.
const MAX_TIMER_MS = 2_147_483_647

export interface ConnectionInit {
  runtime: Runtime
  sink: Sink
  writer: FrameWriter
  identity: Identity | null
  /**
   * The connect request as `authenticate` is shown it again on token refresh: the headers it
   * read at connect and the URL (token already removed).
   */
  request: { headers: IncomingHttpHeaders; url: URL }
  remoteAddress: string | undefined
  /** SSE: the secret that command POSTs must present. */
  commandKey?: string
  /** Close after idleTimeoutMs without inbound traffic (WebSocket only: SSE has no inbound channel). */
  idleTimeout: boolean
}

/**
 * One client connection, whatever its transport: identity, subscriptions, command dispatch,
 * heartbeat, idle and expiry timers, and every outbound write (through the {@link Sink}).
 *
 * Commands on the same topic run one after another (subscribe then unsubscribe must not race);
 * commands on different topics and calls run concurrently. A failing command answers with an
 * error frame and never closes the connection; unexpected failures are reported as INTERNAL.
 */
export class Connection implements SubscriptionOwner, Scheduled {
  readonly id: string
  readonly runtime: Runtime
  readonly sink: Sink
  readonly writer: FrameWriter
  readonly transport: 'ws' | 'sse'
  readonly remoteAddress: string | undefined
  readonly commandKey: string | undefined
  readonly connectedAt: number
  readonly subscriptions = new Map<string, Subscription>()
  /** Subscribes to new topics still being authorized: they hold a maxSubscriptions slot already. */
  subscribing = 0
  /** Events it published with `echo: false`; allocated by its first such publish. */
  echoExclusions: EchoExclusions | undefined
  readonly #requestHeaders: IncomingHttpHeaders
  // The URL as text: a URL object per idle connection costs more than re-parsing on a refresh.
  readonly #requestHref: string
  state: 'open' | 'closing' | 'closed' = 'open'
  /** Scheduled in runtime.timers (heartbeat and idle check); maintained by the heap. */
  dueAt = 0
  heapSlot = -1
  #identity: Identity | null
  #lastSeen: number
  #nextBeat: number
  // When the idle check runs next (Infinity when idle timeouts are off for this transport).
  #idleCheckAt: number
  #expiryTimer: ReturnType<typeof setTimeout> | undefined
  // Allocated on first use: an idle connection that only listens never needs them.
  #presenceTopics: Set<string> | undefined
  #chains: Map<string, Promise<void>> | undefined
  #limiter: { take(): number } | null | undefined
  #bursting = 0
  #closed: Promise<void> | undefined
  #markClosed: (() => void) | undefined

  constructor(init: ConnectionInit) {
    const { nodeId } = init.runtime.engine
    // With many nodes, the id names this node: an SSE command POST that reaches another node is
    // routed here by it (PROTOCOL.md § SSE command channel).
    this.id = nodeId === undefined ? randomUUID() : `${nodeId}.${randomUUID()}`
    this.runtime = init.runtime
    this.sink = init.sink
    this.writer = init.writer
    this.transport = init.sink.transport
    this.#requestHeaders = init.request.headers
    this.#requestHref = init.request.url.href
    this.remoteAddress = init.remoteAddress
    this.commandKey = init.commandKey
    this.#identity = init.identity
    this.connectedAt = init.runtime.now()
    this.#lastSeen = this.connectedAt
    const { heartbeatMs, idleTimeoutMs } = init.runtime.options
    this.#nextBeat = this.connectedAt + heartbeatMs
    this.#idleCheckAt = init.idleTimeout ? this.connectedAt + idleTimeoutMs : Number.POSITIVE_INFINITY
  }

  /** The connect request, for `authenticate` on token refresh. */
  get request(): ConnectionInit['request'] {
    return { headers: this.#requestHeaders, url: new URL(this.#requestHref) }
  }

  /** Resolves once the socket is gone and everything was released. */
  get closed(): Promise<void> {
    if (this.#closed === undefined) {
      this.#closed =
        this.state === 'closed'
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              this.#markClosed = resolve
            })
    }
    return this.#closed
  }

  /** Topics this connection has presence on. */
  get presenceTopics(): Set<string> {
    this.#presenceTopics ??= new Set()
    return this.#presenceTopics
  }

  get identity(): Identity | null {
    return this.#identity
  }

  /** Registers the connection, sends `welcome`, starts timers and the initial subscriptions. */
  start(initial: readonly SubscriptionRequest[] = []): void {
    const { runtime } = this
    runtime.registry.add(this)
    runtime.metrics.connectionOpened(this.transport)
    const welcome: WelcomeFrame = {
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      connectionId: this.id,
      heartbeatMs: runtime.options.heartbeatMs,
      limits: runtime.options.limits,
      identity: this.#identity?.id ?? null,
    }
    if (this.commandKey !== undefined) welcome.commandKey = this.commandKey
    const expiresAt = this.#identity?.expiresAt
    if (expiresAt !== undefined) {
      welcome.expiresAt = expiresAt
      // The client's clock may be minutes off ours: it schedules its refresh by the time left.
      welcome.expiresIn = Math.max(0, expiresAt - runtime.now())
    }
    this.sendFrame(welcome)
    runtime.timers.schedule(this, Math.min(this.#nextBeat, this.#idleCheckAt))
    this.#armExpiry()
    runtime.logger.debug(
      { connectionId: this.id, transport: this.transport, identity: this.#identity?.id ?? null },
      'connection open',
    )
    if (runtime.hasHook('onConnect')) runtime.runHook('onConnect', this.info())
    for (const request of initial) this.#dispatch({ type: 'subscribe', ...request })
  }

  info(): ConnectionInfo {
    return {
      id: this.id,
      transport: this.transport,
      identity: this.#identity,
      connectedAt: this.connectedAt,
      subscriptions: [...this.subscriptions.keys()],
      remoteAddress: this.remoteAddress,
    }
  }

  // ---------------------------------------------------------------------------
  // Inbound
  // ---------------------------------------------------------------------------

  /** Inbound traffic of any kind (a message, a pong): the peer is alive. */
  touch(): void {
    this.#lastSeen = this.runtime.now()
  }

  /** One text message from the peer: a frame or a batch. */
  handleText(text: string): void {
    this.touch()
    if (this.state !== 'open') return
    const { limits } = this.runtime.options
    const decoded = decodeClientMessage(text, {
      maxFrameBytes: limits.maxFrameBytes,
      maxBatch: limits.maxBatch,
      maxTopicLength: limits.maxTopicLength,
    })
    if (!decoded.ok) {
      this.sendProtocolError(errorFrameFor(decoded.error))
      return
    }
    this.handleFrames(decoded.value)
  }

  /** Frames already decoded (the SSE command channel decodes the POST body itself). */
  handleFrames(results: readonly DecodeResult<ClientFrame>[]): void {
    for (const result of results) {
      if (this.state !== 'open') return
      if (this.#limiter === undefined) {
        this.#limiter = createCommandLimiter(this.runtime.options.rateLimit, () => this.runtime.now())
      }
      const wait = this.#limiter?.take() ?? 0
      if (wait > 0) {
        const id = result.ok ? result.value.id : result.error.id
        this.sendError(
          errorFrame('RATE_LIMITED', 'too many commands; slow down', {
            id,
            retryAfterMs: Number.isFinite(wait) ? wait : 1000,
          }),
        )
        continue
      }
      if (!result.ok) {
        this.sendProtocolError(errorFrameFor(result.error))
        continue
      }
      this.runtime.metrics.commandReceived(result.value.type)
      this.#dispatch(result.value)
    }
  }

  #dispatch(frame: ClientFrame): void {
    switch (frame.type) {
      case 'ping':
        this.sendFrame(frame.id === undefined ? { type: 'pong' } : { type: 'pong', id: frame.id })
        return
      case 'subscribe':
        this.#serial(frame.topic, frame, () => subscribe(this, frame))
        return
      case 'unsubscribe':
        this.#serial(frame.topic, frame, () => unsubscribe(this, frame))
        return
      case 'publish':
        this.#serial(frame.topic, frame, () => clientPublish(this, frame))
        return
      case 'setPresence':
        this.#serial(frame.topic, frame, () => setPresence(this, frame))
        return
      case 'history':
        this.#run(frame, () => history(this, frame))
        return
      case 'auth':
        this.#serial('\u0000auth', frame, () => refreshAuth(this, frame))
        return
      case 'call':
        this.#run(frame, async () => {
          const result = await runCall(this.runtime.options, frame, {
            identity: this.#identity,
            connectionId: this.id,
            server: this.runtime.server,
            state: {},
          })
          this.sendFrame(
            result === undefined
              ? { type: 'result', id: frame.id }
              : { type: 'result', id: frame.id, result },
          )
        })
        return
    }
  }

  #serial(key: string, frame: ClientFrame, task: () => unknown): void {
    this.#chains ??= new Map()
    const chains = this.#chains
    const previous = chains.get(key) ?? Promise.resolve()
    const next = previous.then(() => (this.state === 'open' ? this.#guard(frame, task) : undefined))
    chains.set(key, next)
    void next.then(() => {
      if (chains.get(key) !== next) return
      chains.delete(key)
      // Most connections only ever run their initial subscribes: the map goes with them.
      if (chains.size === 0 && this.#chains === chains) this.#chains = undefined
    })
  }

  #run(frame: ClientFrame, task: () => unknown): void {
    void this.#guard(frame, task)
  }

  // Runs one command; whatever it throws becomes an error frame for that command. The identity
  // limits are spent here, inside the topic's chain, so a store that answers asynchronously
  // cannot reorder a topic's commands.
  async #guard(frame: ClientFrame, task: () => unknown): Promise<void> {
    try {
      const limited = this.runtime.options.rateLimiter.forCommand(frame, {
        identity: this.#identity,
        connectionId: this.id,
      })
      if (limited !== undefined) {
        await limited
        // The connection may have closed while a shared store answered.
        if (this.state !== 'open') return
      }
      await task()
    } catch (error) {
      const topic = 'topic' in frame ? frame.topic : undefined
      if (!isExposable(error)) {
        this.runtime.report(error, {
          operation: frame.type,
          connectionId: this.id,
          identity: this.#identity,
          topic,
        })
      }
      this.sendError(errorFrameFor(error, frame.id, topic))
    }
  }

  // ---------------------------------------------------------------------------
  // Outbound
  // ---------------------------------------------------------------------------

  sendFrame(frame: ServerFrame): boolean {
    if (this.state !== 'open') return false
    return this.#write(this.writer.frame(frame))
  }

  /**
   * Sends the frames that open a subscribe flow as one message, so a client never acts on
   * `subscribed` (going live) before the `resync` or `snapshot` that follows it.
   */
  sendFrames(frames: readonly ServerFrame[]): boolean {
    if (this.state !== 'open') return false
    return this.#write(this.writer.frames(frames))
  }

  /** Sends a frame shared between connections. Events are counted by the caller, in bulk. */
  sendShared(frame: SharedFrame): boolean {
    if (this.state !== 'open') return false
    return this.#write(this.writer.shared(frame))
  }

  countDelivered(count: number): void {
    if (count === 0) return
    this.runtime.counters.delivered += count
    this.runtime.metrics.eventsDelivered(count)
  }

  sendError(frame: ErrorFrame): void {
    this.runtime.metrics.errorSent(frame.code)
    this.sendFrame(frame)
  }

  /** Answers input that does not decode; logged once each, at debug (observability/refusal-log.ts says why). */
  sendProtocolError(frame: ErrorFrame): void {
    logProtocolError(this.runtime.logger, this, frame)
    this.sendError(frame)
  }

  /**
   * A replay is bounded by the engine's ring and is what a reconnecting client needs: judging
   * the connection by the buffer in the middle of it would close every client that resumes over
   * a slow link, and they would all come back for the same replay. The check runs once after.
   */
  burst(send: () => void): void {
    this.#bursting++
    try {
      send()
    } finally {
      this.#bursting--
    }
    if (this.#bursting === 0 && this.state === 'open') this.#checkBuffer()
  }

  #write(payload: string | Buffer): boolean {
    try {
      this.sink.send(payload)
    } catch (error) {
      this.runtime.report(error, { operation: 'socket', connectionId: this.id })
      this.close(CloseCode.InternalError, 'INTERNAL')
      return false
    }
    if (this.#bursting === 0) this.#checkBuffer()
    return true
  }

  #checkBuffer(): void {
    if (isSlowConsumer(this.sink.bufferedBytes(), this.runtime.options.maxBufferedBytes)) {
      this.runtime.metrics.slowConsumerClosed()
      this.runtime.logger.warn({ connectionId: this.id }, 'closing slow consumer')
      this.close(CloseCode.SlowConsumer, 'SLOW_CONSUMER')
    }
  }

  // ---------------------------------------------------------------------------
  // Identity and presence
  // ---------------------------------------------------------------------------

  /** Replaces the identity after a successful refresh (same id) and re-arms the expiry timer. */
  setIdentity(identity: Identity | null): void {
    this.#identity = identity
    this.#armExpiry()
  }

  /** Leaves the topic's presence if this connection is on it. A failing engine is reported, never thrown. */
  leavePresence(topic: string): void {
    if (!this.#presenceTopics?.delete(topic)) return
    const report = (error: unknown) =>
      this.runtime.report(error, {
        operation: 'presence',
        connectionId: this.id,
        identity: this.#identity,
        topic,
      })
    try {
      const pending = this.runtime.engine.removePresence(topic, this.id)
      if (pending instanceof Promise) pending.catch(report)
    } catch (error) {
      report(error)
    }
  }

  // ---------------------------------------------------------------------------
  // Timers
  // ---------------------------------------------------------------------------

  /** Called by runtime.timers when the next heartbeat or idle check is due. */
  fire(now: number): void {
    if (this.state !== 'open') return
    const { heartbeatMs, idleTimeoutMs } = this.runtime.options
    if (now >= this.#nextBeat) {
      try {
        this.sink.heartbeat()
      } catch (error) {
        this.runtime.report(error, { operation: 'heartbeat', connectionId: this.id })
      }
      // A stalled event loop skips the beats it missed rather than sending them in a burst.
      this.#nextBeat = Math.max(this.#nextBeat + heartbeatMs, now + 1)
    }
    if (now >= this.#idleCheckAt) {
      // Inbound traffic only moves #lastSeen; the check itself is re-armed lazily from it.
      if (now - this.#lastSeen >= idleTimeoutMs) {
        this.close(CloseCode.IdleTimeout, 'IDLE_TIMEOUT')
        return
      }
      this.#idleCheckAt = this.#lastSeen + idleTimeoutMs
    }
    if (this.state === 'open') this.runtime.timers.schedule(this, Math.min(this.#nextBeat, this.#idleCheckAt))
  }

  #armExpiry(): void {
    clearTimeout(this.#expiryTimer)
    this.#expiryTimer = undefined
    const expiresAt = this.#identity?.expiresAt
    if (expiresAt === undefined || this.state !== 'open') return
    const delay = expiresAt - this.runtime.now()
    if (delay <= 0) {
      this.closeWithError('TOKEN_EXPIRED', 'the token expired; reconnect with a fresh one')
      return
    }
    this.#expiryTimer = setTimeout(() => this.#armExpiry(), Math.min(delay, MAX_TIMER_MS))
    this.#expiryTimer.unref?.()
  }

  #stopTimers(): void {
    this.runtime.timers.cancel(this)
    clearTimeout(this.#expiryTimer)
  }

  // ---------------------------------------------------------------------------
  // Closing
  // ---------------------------------------------------------------------------

  /** Starts closing: WebSocket close with code and reason (the error code), or end of the SSE stream. */
  close(code: number, reason: string): void {
    if (this.state !== 'open') return
    this.state = 'closing'
    this.#stopTimers()
    try {
      this.sink.close(code, reason)
    } catch (error) {
      this.runtime.report(error, { operation: 'socket', connectionId: this.id })
    }
  }

  /** Sends an error frame, then closes with the code's close code and the code as reason. */
  closeWithError(code: WireErrorCode, message: string): void {
    this.sendError(errorFrame(code, message))
    this.close(closeCodeFor(code) ?? CloseCode.InternalError, code)
  }

  /** Called by the transport exactly when the socket is gone: releases everything. */
  handleClosed(code: number, reason: string): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.#stopTimers()
    const { runtime } = this
    for (const topic of [...this.subscriptions.keys()]) endSubscription(this, topic, 'DISCONNECTED')
    for (const topic of [...(this.#presenceTopics ?? [])]) this.leavePresence(topic)
    runtime.registry.remove(this)
    runtime.metrics.connectionClosed(this.transport)
    runtime.logger.debug({ connectionId: this.id, code, reason }, 'connection closed')
    if (runtime.hasHook('onDisconnect')) runtime.runHook('onDisconnect', this.info(), { code, reason })
    this.#markClosed?.()
    this.#closed ??= Promise.resolve()
  }
}
