import { type ClientFrame, isTerminalCloseCode, type ServerFrame, type WelcomeFrame } from '@sluice/protocol'
import type { AwaitedAnswers } from './awaited-answers'
import { nextDelay } from './backoff'
import { ClientError } from './client-error'
import {
  type ConnectionState,
  type ConnectionStatus,
  createConnectionState,
  type TransportKind,
} from './connection-state'
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
  /** Every frame after the welcome, in arrival order, while this connection is the live one. */
  onFrame(frame: ServerFrame): void
  /** A frame queued for sending on the open connection (what a development inspector shows). */
  onSend?(frame: ClientFrame): void
  /** The connection was lost (with why, when it knows); a reconnect follows unless the client closes. */
  onDrop(error: ClientError | null): void
  /** The client is closed for good: by `close()` (null) or by a terminal error. */
  onClosed(error: ClientError | null): void
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
  /** Where the liveness ping and the token refresh wait for their answers. */
  answers: AwaitedAnswers
  listener: ConnectionListener
  nextId(): string
}

// How often liveness is checked. A tick that fires much later than this means the host slept
// (laptop lid, frozen background tab): sockets may be dead without having noticed.
const TICK_MS = 5_000
const SLEEP_SLACK_MS = 5_000

// Codes after which retrying with the same credentials and client cannot succeed.
const TERMINAL_AT_CONNECT = ['FORBIDDEN', 'PROTOCOL_VERSION', 'BAD_REQUEST']

// A token is never refreshed more often than once a second, whatever the expiry says; a late
// refresh is safe (the server ends the connection at the real expiry and the reconnect fetches
// a fresh token), a refresh loop is not. A failed refresh, or an expiry already past on a token
// the server just accepted (a bare `expiresAt`, our clock ahead of the server's), is retried
// from 5 s on (the latter doubling).
const MIN_REFRESH_MS = 1_000
const REFRESH_RETRY_MS = 5_000
const MAX_REFRESH_RETRY_MS = 60_000

/** The credentials' expiry as a welcome or an auth ack states it. */
type Expiry = { expiresAt?: number; expiresIn?: number }

/**
 * The connection loop: connect (token first, then transports in preference order with
 * fallback), keep it alive (heartbeat deadline, liveness pings after sleep or when the page
 * becomes visible, token refresh over the open connection, background probe of a preferred
 * transport) and reconnect with backoff, or stop for good on a terminal error.
 */
export function createConnection(deps: ConnectionDeps) {
  const {
    selector,
    canRefreshToken,
    timers,
    environment,
    tokenTimeoutMs,
    probeIntervalMs,
    answers,
    listener,
    nextId,
  } = deps
  const machine = createConnectionState()
  const { $state, transition } = machine
  const retryTimer = createTimer(timers)
  const tickTimer = createTimer(timers)
  const pingTimer = createTimer(timers)
  const authTimer = createTimer(timers)
  const probeTimer = createTimer(timers)

  let active: Transport | undefined
  let probe: Transport | undefined
  // Bumped whenever the live transport ends or is replaced: work begun for it (a token fetch, a
  // reconnect hook) is dropped when it finishes.
  let generation = 0
  // Set by the welcome (or the token fetch before it) before anything reads them.
  let heartbeatMs: number
  let lastActivity: number
  let lastTick: number
  let lastTokenAt: number
  // A liveness ping is out: no second one until its pong or its deadline.
  let pinging = false
  let authFailures = 0
  let skewedExpiries = 0
  // Until when a `reconnect` frame's retryAfterMs holds, for the reconnect that follows it.
  let hintUntil = 0

  const outbound = createOutbound(
    (frames) => active?.send(frames),
    // Answered here as the server would answer it if it could: the command fails, the connection stays.
    (frame, bytes, maxFrameBytes) => {
      if (!frame.id) return
      listener.onFrame({
        type: 'error',
        id: frame.id,
        code: 'LIMIT_EXCEEDED',
        message: `the ${frame.type} frame is ${bytes} bytes, over the server's maxFrameBytes (${maxFrameBytes})`,
      })
    },
  )
  const isOpen = () => machine.status === 'open'
  const send = (frame: ClientFrame) => {
    if (!isOpen()) return
    listener.onSend?.(frame)
    outbound.send(frame)
  }
  const network = (message: string) => new ClientError('NETWORK', message)

  function connect(reason: string) {
    retryTimer()
    if (!environment.isOnline()) transition('offline', 'offline')
    else if (transition('connecting', reason))
      withToken((token) => open(selector.startAttempt(), token), retryLater)
  }

  /**
   * Fetches a token and hands it to `use`, or a TIMEOUT or NETWORK error to `fail`, unless the
   * transport it was for ended meanwhile. A token endpoint that hangs would otherwise leave the
   * client `connecting` for good.
   */
  function withToken(use: (token: string | null) => void, fail: (error: ClientError) => void) {
    const current = generation
    lastTokenAt = timers.now()
    new Promise<string | null>((resolve, reject) => {
      const timer = timers.setTimeout(
        () => reject(new ClientError('TIMEOUT', `getToken() took over ${tokenTimeoutMs} ms`)),
        tokenTimeoutMs,
      )
      deps
        .getToken()
        .then(resolve, (cause) => reject(new ClientError('NETWORK', 'getToken() failed', { cause })))
        .finally(() => timers.clearTimeout(timer))
    }).then(
      (token) => current === generation && use(token),
      (error) => current === generation && fail(error),
    )
  }

  /**
   * Opens a transport: the connection's (with fallback to the next kind when it cannot open), or
   * a probe of the preferred kind beside the live one. Once the probe is welcomed the connection
   * moves over: resubscribe from positions on the new one, then close the old one. Events seen on
   * both during the overlap are dropped by dedup.
   */
  function open(kind: TransportKind, token: string | null, probing?: boolean) {
    const transport = deps.factories[kind]({
      url: deps.url,
      token,
      timers,
      handshakeTimeoutMs: deps.handshakeTimeoutMs,
      handlers: {
        // `switched`: it replaced a live transport (probe), so the status stays open and what
        // was in flight on the old one is sent again by the listener.
        onOpen(frame) {
          const switched = probe === transport
          if (switched) {
            probe = undefined
            // Calls in flight would lose their results with the old transport: the switch
            // waits for a moment without any.
            if (answers.busy()) {
              transport.close()
              return scheduleProbe()
            }
            const old = active
            active = transport
            old?.close()
            generation++
            machine.patch({ transport: kind, connectionId: frame.connectionId })
          }
          if (active !== transport) return
          selector.opened(kind)
          outbound.discard()
          outbound.setLimits(frame.limits)
          heartbeatMs = frame.heartbeatMs
          lastActivity = timers.now()
          pinging = false
          pingTimer()
          if (!switched) {
            authFailures = hintUntil = 0
            transition('open', kind, { attempt: 0, error: null, connectionId: frame.connectionId })
            lastTick = lastActivity
            tickTimer(TICK_MS, tick)
          }
          scheduleAuthRefresh(frame)
          scheduleProbe()
          listener.onOpen(switched)
          deps.onConnect?.({ transport: kind, welcome: frame })
        },
        onFrames(frames) {
          for (const frame of frames) {
            // Only while it is the live transport: a listener (or a refused token) may have
            // closed the client or dropped the connection.
            if (active !== transport) return
            listener.onFrame(frame)
          }
        },
        onActivity() {
          if (active === transport) lastActivity = timers.now()
        },
        onClose({ opened, error }) {
          if (probe === transport) {
            probe = undefined
            return scheduleProbe()
          }
          if (active !== transport) return
          active = undefined
          const next = !opened && error?.code === 'NETWORK' && selector.failed(kind)
          if (next) open(next, token)
          else lost(error, opened)
        },
      },
    })
    if (probing) probe = transport
    else {
      active = transport
      machine.patch({ transport: kind })
    }
  }

  /**
   * Ends the current connection (transports, timers, queued frames, work in flight) and moves to
   * `to` with `error` (unless `fields` set another); where the table refuses the move (already
   * offline or closed) nothing else changes. When it was open, the layers above and onDisconnect
   * hear of it; a close() without error settles them through onClosed instead of onDrop.
   */
  function end(
    to: ConnectionStatus,
    reason: string,
    error: ClientError | null,
    fields?: Partial<ConnectionState>,
  ) {
    const wasOpen = isOpen()
    const transports = [active, probe]
    active = probe = undefined
    pinging = false
    generation++
    retryTimer()
    tickTimer()
    pingTimer()
    authTimer()
    probeTimer()
    outbound.discard()
    for (const transport of transports) transport?.close()
    // No transport is open (or opening) any more: `transport` says so, whatever comes next.
    transition(to, reason, { error, transport: null, connectionId: null, ...fields })
    if (wasOpen) {
      if (error || to !== 'closed') listener.onDrop(error)
      deps.onDisconnect?.({ error })
    }
  }

  /** The connection's transport is gone (or presumed dead): stop for good on a terminal error, else reconnect. */
  function lost(error: ClientError | null, opened: boolean) {
    const code = error?.code
    const auth = !opened && (code === 'UNAUTHORIZED' || code === 'TOKEN_EXPIRED')
    if (
      isTerminalCloseCode(error?.closeCode ?? 0) ||
      (!opened && TERMINAL_AT_CONNECT.includes(code as string)) ||
      // One retry with a freshly fetched token, at once (counted here); a second rejection means
      // the token source is bad.
      (auth && (!canRefreshToken || authFailures++ > 0))
    )
      return close(error)
    retryLater(error, auth)
  }

  function retryLater(error: ClientError | null, immediate?: boolean) {
    if (!environment.isOnline()) return end('offline', 'offline', error)
    const attempt = $state.get().attempt + 1
    const now = timers.now()
    // Only a hint for this reconnect counts: a rejection answering the attempt (503, 429), or a
    // `reconnect` frame no older than its own delay.
    const delay = immediate
      ? 0
      : nextDelay(deps.retryDelay(attempt - 1), hintUntil > now ? hintUntil - now : error?.retryAfterMs)
    hintUntil = 0
    end('reconnecting', error?.code ?? 'closed', error, { attempt, nextRetryAt: now + delay })
    retryTimer(delay, async () => {
      const current = generation
      try {
        await deps.beforeReconnect?.({ attempt, error })
      } catch {
        // A failing hook must not stop reconnecting; it runs again before the next attempt.
      }
      if (current === generation) connect('retry')
    })
  }

  function tick() {
    const now = timers.now()
    const late = now - lastTick - TICK_MS
    lastTick = now
    tickTimer(TICK_MS, tick)
    if (late > SLEEP_SLACK_MS) checkLiveness('host slept')
    else if (heartbeatMs && !pinging && now - lastActivity > 2 * heartbeatMs)
      lost(network(`no data for ${now - lastActivity} ms`), true)
  }

  /** Sends ping{id} and reconnects unless the pong arrives within pingTimeoutMs. */
  function checkLiveness(reason: string) {
    const ms = deps.pingTimeoutMs
    if (!isOpen() || pinging) return
    pinging = true
    const id = nextId()
    answers.add(id, {
      // Only a pong shows the server alive; an error for the ping (a failed SSE POST) does not.
      answer(frame) {
        if (frame.type !== 'pong') return
        pinging = false
        pingTimer()
      },
    })
    send({ type: 'ping', id })
    pingTimer(ms, () => lost(network(`no pong in ${ms} ms (${reason})`), true))
  }

  /** Hands the server a fresh token 30 s before expiry, or at 80% of a short lifetime. */
  function scheduleAuthRefresh({ expiresAt, expiresIn }: Expiry) {
    if (!canRefreshToken || !expiresAt) return authTimer()
    const now = timers.now()
    // The time left, counted on our clock from this frame's arrival, holds however far our
    // clock is from the server's; only an older server's bare `expiresAt` depends on it.
    const remaining = expiresIn ?? expiresAt - now
    let delay = remaining > 60_000 ? remaining - 30_000 : Math.floor(remaining * 0.8)
    if (delay > 0) skewedExpiries = 0
    // The server has just accepted this token, so on its clock it has not expired: ours is
    // ahead. Asking again at once would get the same answer; back off instead.
    else delay = Math.min(REFRESH_RETRY_MS * 2 ** skewedExpiries++, MAX_REFRESH_RETRY_MS)
    authTimer(Math.max(delay, lastTokenAt + MIN_REFRESH_MS - now), refreshAuth)
  }

  function refreshAuth() {
    withToken(
      (token) => {
        if (token === null) return
        const id = nextId()
        answers.add(id, {
          answer(frame) {
            // The server refused the new token: a fresh connect decides whether it is terminal.
            if (frame.type === 'error') lost(new ClientError(frame.code, frame.message), true)
            else scheduleAuthRefresh(frame as Expiry)
          },
        })
        send({ type: 'auth', id, token })
      },
      // Keep the current token and try again; at expiry the server ends the connection and the
      // reconnect fetches a token anyway.
      () => authTimer(REFRESH_RETRY_MS, refreshAuth),
    )
  }

  function scheduleProbe() {
    const kind = selector.preferred((active as Transport).kind)
    if (kind && probeIntervalMs > 0)
      probeTimer(probeIntervalMs, () => withToken((token) => open(kind, token, true), scheduleProbe))
  }

  function close(error: ClientError | null = null) {
    if (machine.status === 'closed') return
    end('closed', error?.code ?? 'close()', error)
    for (const off of unlisten) off()
    listener.onClosed(error)
  }

  const unlisten = [
    environment.onOffline(() => {
      // The state tells why; for onDisconnect going offline is no error of the connection's.
      if (machine.status !== 'idle') end('offline', 'offline', null, { error: network('offline') })
    }),
    environment.onOnline(() => {
      const status = machine.status
      if (status === 'offline' || status === 'reconnecting') connect('online')
    }),
    environment.onVisible(() => checkLiveness('page shown')),
  ]

  return {
    $state,
    /** The connection's status, as `$state` holds it. */
    get status(): ConnectionStatus {
      return machine.status
    },
    start(reason: string): void {
      if (machine.status === 'idle') connect(reason)
    },
    close,
    isOpen,
    send,
    /** A `reconnect` frame: its retryAfterMs holds for a reconnect within that time. */
    reconnectHint(retryAfterMs: number): void {
      hintUntil = timers.now() + retryAfterMs
    },
  }
}

export type Connection = ReturnType<typeof createConnection>
