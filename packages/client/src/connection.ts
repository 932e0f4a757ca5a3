import type { ClientFrame, ServerFrame, WelcomeFrame } from '@sluice/protocol'
import { nextDelay } from './backoff'
import { ClientError } from './client-error'
import { type ConnectionStateMachine, createConnectionState, type TransportKind } from './connection-state'
import type { ClientEnvironment } from './environment'
import { createOutbound } from './outbound'
import { createTimer, type TimerProvider } from './timers'
import type { TransportSelector } from './transport/select'
import type { Transport, TransportFactory } from './transport/types'

/** What the connection tells the layers above it (subscriptions, calls, publishes). */
export interface ConnectionListener {
  /**
   * A connection opened: resubscribe and resend. `switched` is true when it replaced a live
   * connection (transport probe): what was in flight on the old one must be sent again.
   */
  onOpen(switched: boolean): void
  /** Frames the connection itself does not consume, in arrival order. */
  onFrame(frame: ServerFrame): void
  /** The connection was lost; a reconnect follows unless the client closes. */
  onDrop(): void
  /** The client is closed for good: settle everything with `error`. */
  onClosed(error: ClientError): void
}

/** Hooks of createClient, called by the connection. */
export interface ConnectionHooks {
  /** A connection opened (after its welcome). */
  onConnect?: (info: { transport: TransportKind; welcome: WelcomeFrame }) => void
  /** An open connection was lost or closed. */
  onDisconnect?: (info: { error: ClientError | null }) => void
  /** Awaited before each reconnect attempt, e.g. to refresh something the token depends on. */
  beforeReconnect?: (info: { attempt: number; error: ClientError | null }) => void | Promise<void>
}

export interface ConnectionDeps extends ConnectionHooks {
  url: string
  factories: Record<TransportKind, TransportFactory>
  selector: TransportSelector
  getToken: () => Promise<string | null>
  /** Whether a fresh token can differ from the last one (false for a static `token`). */
  canRefreshToken: boolean
  timers: TimerProvider
  environment: ClientEnvironment
  retryDelay: (attempt: number) => number
  handshakeTimeoutMs: number
  /** A getToken() that settles neither way within this time fails the attempt with TIMEOUT. */
  tokenTimeoutMs: number
  probeIntervalMs: number
  pingTimeoutMs: number
  listener: ConnectionListener
  nextId(): string
  /** True while switching transports would lose something (calls awaiting their result). */
  busy(): boolean
}

// How often liveness is checked. A tick that fires much later than this means the host slept
// (laptop lid, frozen background tab): sockets may be dead without having noticed.
const TICK_MS = 5_000
const SLEEP_SLACK_MS = 5_000

// Codes after which retrying with the same credentials and client cannot succeed.
const TERMINAL_AT_CONNECT = new Set(['FORBIDDEN', 'PROTOCOL_VERSION', 'BAD_REQUEST'])
const AUTH_CODES = new Set(['UNAUTHORIZED', 'TOKEN_EXPIRED'])

// `expiresAt` is on the server's clock. However far the client's clock is off, a token is never
// refreshed more often than once a second; a late refresh is safe (the server ends the
// connection at the real expiry and the reconnect fetches a fresh token), a refresh loop is not.
// A failed refresh, or an `expiresAt` already past on a token the server just accepted, is
// retried from 5 s on (the latter doubling).
const MIN_REFRESH_MS = 1_000
const REFRESH_RETRY_MS = 5_000
const MAX_REFRESH_RETRY_MS = 60_000

/** When to hand the server a fresh token: 30 s before expiry, or at 80% of a short lifetime. */
export function refreshDelay(expiresAt: number, now: number): number {
  const remaining = expiresAt - now
  if (remaining <= 0) return 0
  return remaining > 60_000 ? remaining - 30_000 : Math.floor(remaining * 0.8)
}

/**
 * The connection loop: connect (token first, then transports in preference order with
 * fallback), keep it alive (heartbeat deadline, liveness pings after sleep or when the page
 * becomes visible, token refresh over the open connection, background probe of a preferred
 * transport) and reconnect with backoff, or stop for good on a terminal error.
 */
export function createConnection(deps: ConnectionDeps) {
  const machine: ConnectionStateMachine = createConnectionState()
  const { timers, selector, listener, environment, getToken, nextId, canRefreshToken, probeIntervalMs } = deps
  const retryTimer = createTimer(timers)
  const tickTimer = createTimer(timers)
  const pingTimer = createTimer(timers)
  const authTimer = createTimer(timers)
  const probeTimer = createTimer(timers)

  let active: Transport | null = null
  let probe: Transport | null = null
  let welcome: WelcomeFrame | null = null
  let generation = 0
  let lastActivity = 0
  let lastTick = 0
  let pingId: string | null = null
  let authId: string | null = null
  let authFailures = 0
  let lastTokenAt = Number.NEGATIVE_INFINITY
  let skewedExpiries = 0
  // A `reconnect` frame's hint, for the reconnect that follows it (not one much later).
  let hint: { ms: number; at: number } | null = null

  const outbound = createOutbound((frames) => active?.send(frames))
  const isOpen = () => machine.status === 'open' && active !== null
  const network = (message: string) => new ClientError('NETWORK', message)

  function stopTimers() {
    tickTimer.clear()
    pingTimer.clear()
    authTimer.clear()
    probeTimer.clear()
    pingId = null
    authId = null
  }

  function start(reason = 'start'): void {
    if (machine.status === 'idle') void connect(reason)
  }

  async function connect(reason: string): Promise<void> {
    retryTimer.clear()
    if (!environment.isOnline()) {
      machine.transition('offline', 'offline', { nextRetryAt: null })
      return
    }
    if (!machine.transition('connecting', reason, { nextRetryAt: null })) return
    const current = ++generation
    lastTokenAt = timers.now()
    let token: string | null
    try {
      token = await fetchToken()
    } catch (cause) {
      if (current !== generation) return
      const timedOut = cause instanceof ClientError && cause.code === 'TIMEOUT'
      return scheduleReconnect(timedOut ? cause : new ClientError('NETWORK', 'getToken() failed', { cause }))
    }
    if (current !== generation || machine.status !== 'connecting') return
    openTransport(selector.startAttempt(), token, current)
  }

  // A token endpoint that hangs would otherwise leave the client `connecting` for good.
  function fetchToken(): Promise<string | null> {
    const ms = deps.tokenTimeoutMs
    return new Promise((resolve, reject) => {
      const timer = timers.setTimeout(
        () => reject(new ClientError('TIMEOUT', `getToken() did not settle within ${ms} ms`)),
        ms,
      )
      getToken()
        .then(resolve, reject)
        .finally(() => timers.clearTimeout(timer))
    })
  }

  /** Opens a transport whose frames and activity count while it is the active one. */
  function createTransport(
    kind: TransportKind,
    token: string | null,
    onOpen: (transport: Transport, welcome: WelcomeFrame) => void,
    onClose: (transport: Transport, info: { opened: boolean; error: ClientError | null }) => void,
  ): Transport {
    const transport: Transport = deps.factories[kind]({
      url: deps.url,
      token,
      timers,
      handshakeTimeoutMs: deps.handshakeTimeoutMs,
      handlers: {
        onOpen: (frame) => onOpen(transport, frame),
        onFrames: (frames) => {
          if (active === transport) route(frames)
        },
        onActivity: () => {
          if (active === transport) lastActivity = timers.now()
        },
        onClose: (info) => onClose(transport, info),
      },
    })
    return transport
  }

  function openTransport(kind: TransportKind, token: string | null, current: number) {
    machine.patch({ transport: kind })
    active = createTransport(
      kind,
      token,
      (transport, frame) => {
        if (active === transport) welcomed(transport, frame, false)
      },
      (transport, { opened, error }) => {
        if (active !== transport) return
        active = null
        if (!opened && error?.code === 'NETWORK' && current === generation) {
          const next = selector.failed(kind)
          if (next) return openTransport(next, token, current)
        }
        onLost(error, opened)
      },
    )
  }

  /**
   * A transport's welcome. `switched`: it replaced a live transport (probe), so the status
   * stays open and what was in flight on the old one is sent again by the listener.
   */
  function welcomed(transport: Transport, frame: WelcomeFrame, switched: boolean) {
    const kind = transport.kind
    welcome = frame
    selector.opened(kind)
    outbound.discard()
    outbound.setLimits(frame.limits)
    lastActivity = timers.now()
    if (switched) {
      machine.patch({ transport: kind })
      pingId = null
      pingTimer.clear()
    } else {
      authFailures = 0
      hint = null
      machine.transition('open', kind, { transport: kind, attempt: 0, nextRetryAt: null, error: null })
      lastTick = lastActivity
      tickTimer.set(TICK_MS, tick)
    }
    scheduleAuthRefresh(frame.expiresAt)
    scheduleProbe()
    listener.onOpen(switched)
    deps.onConnect?.({ transport: kind, welcome: frame })
  }

  function route(frames: ServerFrame[]) {
    for (const frame of frames) {
      const type = frame.type
      if (type === 'ping') continue
      if (type === 'reconnect') {
        hint = { ms: frame.retryAfterMs, at: timers.now() }
        continue
      }
      if (type === 'pong') {
        if (frame.id !== undefined && frame.id === pingId) {
          pingId = null
          pingTimer.clear()
        }
        continue
      }
      if ((type === 'ack' || type === 'error') && frame.id !== undefined && frame.id === authId) {
        authId = null
        if (type === 'ack') {
          scheduleAuthRefresh(frame.expiresAt)
          continue
        }
        // The server refused the new token: a fresh connect decides whether it is terminal.
        return drop(new ClientError(frame.code, frame.message))
      }
      listener.onFrame(frame)
      // A listener may have closed the client or dropped the connection.
      if (!isOpen()) return
    }
  }

  function onLost(error: ClientError | null, opened: boolean) {
    const wasOpen = machine.status === 'open'
    stopTimers()
    closeProbe()
    outbound.discard()
    if (wasOpen) {
      listener.onDrop()
      deps.onDisconnect?.({ error })
    }
    if (machine.status === 'closed') return
    if (error && isTerminal(error, opened)) return close(error)
    if (error && AUTH_CODES.has(error.code) && !opened) authFailures++
    scheduleReconnect(error)
  }

  function isTerminal(error: ClientError, opened: boolean): boolean {
    if (error.closeCode === 4400 || error.closeCode === 4403) return true
    if (opened) return false
    if (TERMINAL_AT_CONNECT.has(error.code)) return true
    // One retry with a freshly fetched token; a second rejection means the token source is bad.
    if (AUTH_CODES.has(error.code)) return !canRefreshToken || authFailures >= 1
    return false
  }

  function scheduleReconnect(error: ClientError | null) {
    if (machine.status === 'closed') return
    if (!environment.isOnline()) {
      machine.transition('offline', 'offline', { nextRetryAt: null, error })
      return
    }
    const attempt = machine.$state.get().attempt
    const authRetry = error !== null && AUTH_CODES.has(error.code) && authFailures === 1
    // Only a hint for this reconnect counts: a rejection answering the attempt (503, 429), or a
    // `reconnect` frame no older than its own delay.
    const now = timers.now()
    const hinted = hint !== null && now - hint.at <= hint.ms ? hint.ms - (now - hint.at) : undefined
    hint = null
    const delay = authRetry ? 0 : nextDelay(deps.retryDelay(attempt), hinted ?? error?.retryAfterMs)
    machine.transition('reconnecting', error?.code ?? 'closed', {
      attempt: attempt + 1,
      nextRetryAt: now + delay,
      error,
    })
    retryTimer.set(delay, () => void reconnect(attempt + 1, error))
  }

  async function reconnect(attempt: number, error: ClientError | null) {
    if (machine.status !== 'reconnecting') return
    const current = generation
    try {
      await deps.beforeReconnect?.({ attempt, error })
    } catch {
      // A failing hook must not stop reconnecting; it runs again before the next attempt.
    }
    if (current === generation && machine.status === 'reconnecting') void connect('retry')
  }

  /** Ends the current transport and reconnects: the connection is presumed dead. */
  function drop(error: ClientError) {
    const transport = active
    if (!transport) return
    active = null
    transport.close()
    onLost(error, true)
  }

  function tick() {
    const now = timers.now()
    const late = now - lastTick - TICK_MS
    lastTick = now
    tickTimer.set(TICK_MS, tick)
    if (late > SLEEP_SLACK_MS) return checkLiveness('timers fired late: the host slept')
    const heartbeatMs = welcome?.heartbeatMs ?? 0
    if (heartbeatMs > 0 && pingId === null && now - lastActivity > 2 * heartbeatMs) {
      drop(network(`no data from the server for ${now - lastActivity} ms`))
    }
  }

  /** Sends ping{id} and reconnects unless the pong arrives within pingTimeoutMs. */
  function checkLiveness(reason: string) {
    if (!isOpen() || pingId !== null) return
    pingId = nextId()
    outbound.send({ type: 'ping', id: pingId })
    pingTimer.set(deps.pingTimeoutMs, () => {
      pingId = null
      drop(network(`no pong within ${deps.pingTimeoutMs} ms (${reason})`))
    })
  }

  function scheduleAuthRefresh(expiresAt: number | undefined) {
    authTimer.clear()
    if (expiresAt === undefined || !canRefreshToken) return
    const now = timers.now()
    let delay = refreshDelay(expiresAt, now)
    if (delay === 0) {
      // The server has just accepted this token, so on its clock it has not expired: ours is
      // ahead. Asking again at once would get the same answer; back off instead.
      delay = Math.min(REFRESH_RETRY_MS * 2 ** skewedExpiries++, MAX_REFRESH_RETRY_MS)
    } else skewedExpiries = 0
    authTimer.set(Math.max(delay, lastTokenAt + MIN_REFRESH_MS - now), () => void refreshAuth())
  }

  async function refreshAuth() {
    const transport = active
    lastTokenAt = timers.now()
    let token: string | null
    try {
      token = await fetchToken()
    } catch {
      // Keep the current token and try again; at expiry the server ends the connection and the
      // reconnect fetches a token anyway.
      if (transport === active && isOpen()) authTimer.set(REFRESH_RETRY_MS, () => void refreshAuth())
      return
    }
    if (transport !== active || !isOpen() || token === null) return
    authId = nextId()
    outbound.send({ type: 'auth', id: authId, token })
  }

  function scheduleProbe() {
    probeTimer.clear()
    const kind = active ? selector.preferred(active.kind) : null
    if (kind === null || probeIntervalMs <= 0) return
    probeTimer.set(probeIntervalMs, () => void runProbe(kind))
  }

  /**
   * Opens the preferred transport beside the current one and, once it is welcomed, moves the
   * connection over: resubscribe from positions on the new one, then close the old one. Events
   * seen on both during the overlap are dropped by dedup. Calls in flight would lose their
   * results with the old transport, so the switch waits for a moment without any.
   */
  async function runProbe(kind: TransportKind) {
    if (!isOpen() || probe) return
    const current = generation
    let token: string | null
    try {
      token = await fetchToken()
    } catch {
      return scheduleProbe()
    }
    if (current !== generation || !isOpen()) return
    probe = createTransport(
      kind,
      token,
      (candidate, frame) => {
        if (probe !== candidate) return
        probe = null
        if (!isOpen() || current !== generation || deps.busy()) {
          candidate.close()
          return scheduleProbe()
        }
        const old = active
        active = candidate
        old?.close()
        welcomed(candidate, frame, true)
      },
      (candidate, { opened, error }) => {
        if (probe === candidate) {
          probe = null
          return scheduleProbe()
        }
        if (active !== candidate) return
        active = null
        onLost(error, opened)
      },
    )
  }

  function closeProbe() {
    const candidate = probe
    probe = null
    candidate?.close()
  }

  /** Stops everything of the current connection without reporting it; returns whether it was open. */
  function halt(): boolean {
    const wasOpen = machine.status === 'open'
    generation++
    retryTimer.clear()
    stopTimers()
    closeProbe()
    outbound.discard()
    const transport = active
    active = null
    transport?.close()
    return wasOpen
  }

  function close(error: ClientError | null = null) {
    if (machine.status === 'closed') return
    const wasOpen = halt()
    machine.transition('closed', error ? error.code : 'close()', { nextRetryAt: null, error })
    if (wasOpen) deps.onDisconnect?.({ error })
    for (const off of unlisten) off()
    listener.onClosed(error ?? new ClientError('CLOSED', 'the client was closed'))
  }

  const unlisten = [
    environment.onOffline(() => {
      const status = machine.status
      if (status === 'closed' || status === 'offline' || status === 'idle') return
      const wasOpen = halt()
      machine.transition('offline', 'went offline', {
        nextRetryAt: null,
        error: network('the device is offline'),
      })
      if (wasOpen) {
        listener.onDrop()
        deps.onDisconnect?.({ error: null })
      }
    }),
    environment.onOnline(() => {
      const status = machine.status
      if (status === 'offline' || status === 'reconnecting') void connect('online')
    }),
    environment.onVisible(() => checkLiveness('page became visible')),
  ]

  return {
    $state: machine.$state,
    machine,
    start,
    close,
    isOpen,
    send(frame: ClientFrame): void {
      if (isOpen()) outbound.send(frame)
    },
  }
}

export type Connection = ReturnType<typeof createConnection>
