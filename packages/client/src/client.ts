import type { Json, JsonCompatible, JsonInput, JsonObject } from '@sluice/protocol'
import type { ReadableAtom } from 'nanostores'
import { createAwaitedAnswers } from './awaited-answers'
import { type BackoffOptions, retryDelay as fullJitterDelay } from './backoff'
import { type CallOptions, createCalls } from './calls'
import { checkOptions } from './check-options'
import { ClientError } from './client-error'
import type { ConnectionHooks } from './connection'
import { createConnection } from './connection'
import type { ConnectionState, TransportKind } from './connection-state'
import { browserEnvironment, type ClientEnvironment } from './environment'
import { createFrameRouter } from './frame-router'
import { createIdGenerator } from './ids'
import { type ClientInspector, INSPECT, type InspectTap } from './inspect'
import type { CallParameters, CallResultOf, ProcedureName, ProcedureSchema } from './procedure-types'
import {
  createPublisher,
  type OfflineQueueOptions,
  type PublishEvent,
  type PublishOptions,
  type PublishResult,
} from './publish'
import { createSignals, type SignalHandler } from './signals'
import { resolveScheduler, type SchedulerOption } from './store/scheduler'
import { createSubscriptionStore } from './store/subscription-store'
import {
  createSubscriptions,
  type StoreFactory,
  type SubscribeOptions,
  type Subscription,
} from './subscriptions'
import { defaultTimers, type TimerProvider, unlimitedTimers } from './timers'
import type { TopicData, TopicEvent, TopicSchema } from './topic-schema'
import { createTransportSelector } from './transport/select'
import { createSseTransport, type FetchLike } from './transport/sse'
import { createWebSocketTransport, type WebSocketConstructor } from './transport/websocket'

/** Options of {@link createClient}. */
export interface ClientOptions extends ConnectionHooks {
  /**
   * The server's http(s) base URL, e.g. `https://example.com/realtime`; `ws(s)` is derived from
   * it. In a browser it may be relative to the page (`/realtime` for a same-origin server).
   */
  url: string
  /** Transports in order of preference; later ones are fallbacks. @default ['ws', 'sse'] */
  transports?: TransportKind[]
  /** A static token. Prefer `getToken` for tokens that expire. */
  token?: string
  /**
   * Called before every connect and before each token refresh over an open connection (shortly
   * before the `expiresAt` the server announced). Return null for an anonymous connection.
   */
  getToken?: () => Promise<string | null> | string | null
  /** The WebSocket implementation. @default globalThis.WebSocket */
  WebSocket?: unknown
  /** The fetch implementation for SSE. @default globalThis.fetch */
  fetch?: FetchLike
  /** The default reconnect delay curve (full-jitter exponential). @default { baseMs: 500, factor: 2, maxMs: 30_000 } */
  backoff?: BackoffOptions
  /** Replaces the backoff curve: the delay before reconnect attempt `attempt` (0-based). */
  retryDelay?: (attempt: number) => number
  /** Random source for the backoff jitter and command ids. @default Math.random */
  random?: () => number
  /** When queued inbound events are applied to stores. @default 'microtask' */
  scheduler?: SchedulerOption
  /** A call without a result after this long rejects with TIMEOUT. @default 10_000 */
  callTimeoutMs?: number
  /** A sent publish without an ack after this long rejects with TIMEOUT. @default 10_000 */
  publishTimeoutMs?: number
  /**
   * Publishes issued while disconnected wait here, and calls made with `{ queue: true }`.
   * @default { maxSize: 100, maxAgeMs: 60_000, callMaxAgeMs: 30_000 }
   */
  offlineQueue?: OfflineQueueOptions
  /** Connect on the first subscribe, call, publish or onSignal rather than at creation. @default true */
  lazy?: boolean
  /** A transport whose welcome takes longer fails (and the next transport is tried). @default 10_000 */
  handshakeTimeoutMs?: number
  /**
   * A `getToken()` that has not settled after this long fails the connect attempt with TIMEOUT
   * (retried with backoff); a refresh over an open connection is skipped until the next one.
   * @default 10_000
   */
  tokenTimeoutMs?: number
  /** While on a fallback transport, how often the preferred one is tried in the background. @default 60_000 */
  probeIntervalMs?: number
  /** After sleep or when the page becomes visible, a ping without pong in this time reconnects. @default 5_000 */
  pingTimeoutMs?: number
  /**
   * Timers and clock. Delays beyond 2^31-1 ms are split into steps the provider can hold, and
   * `Infinity` (e.g. `offlineQueue.maxAgeMs`) never fires. @default globals, looked up on each call
   */
  timers?: TimerProvider
  /** Online/offline and visibility signals. @default browser globals when they exist */
  environment?: ClientEnvironment
}

export type { TopicData, TopicSchema } from './topic-schema'

/**
 * A Sluice client. Create one per server with {@link createClient} and share it. `Schema` types
 * the topics (see {@link TopicSchema}), `Procedures` the calls (see {@link ProcedureSchema}).
 */
export interface SluiceClient<
  Schema extends TopicSchema = TopicSchema,
  Procedures extends ProcedureSchema = ProcedureSchema,
> {
  /** The connection's status, transport, retry attempt and last error. */
  readonly $connection: ReadableAtom<ConnectionState>
  /**
   * Subscribes to a topic. Subscriptions with the same topic, filter and an equal strategy (see `MergeStrategy.key`) share one store.
   *
   * @example
   * const todos = client.subscribe('todos', { merge: crud<Todo>() })
   * todos.$state.subscribe(({ data, status }) => render(data.items, status))
   */
  subscribe<K extends keyof Schema & string, TData = Schema[K]>(
    topic: K,
    options: SubscribeOptions<TopicData<Schema, K, TData>>,
  ): Subscription<TopicData<Schema, K, TData>>
  /**
   * Calls a server procedure. An identical call (same name and arguments) issued while one is
   * pending shares its result unless `fresh` is set. With `Procedures` (the server's
   * `typeof procedures`) the name, the arguments and the result are typed; else the arguments
   * are any JSON and the result `unknown`.
   *
   * @example
   * const { open } = await client.call('todos.stats', { owner: 'ann' })
   */
  call<N extends ProcedureName<Procedures>, TArgs = Json>(
    name: N,
    ...args: CallParameters<Procedures, N, TArgs>
  ): Promise<CallResultOf<Procedures, N>>
  /**
   * Publishes an event; resolves with its position once the server acknowledged it. A topic
   * the schema declares as a {@link Topic} takes only its events (`CrudTopic<Todo>`: created,
   * updated with a `Todo`, deleted with a key); any other takes JSON data (see {@link JsonCompatible}).
   */
  publish<K extends keyof Schema & string, TData = Json>(
    topic: K,
    event: TopicEvent<Schema, K, JsonInput<TData>>,
    options?: PublishOptions,
  ): Promise<PublishResult>
  /**
   * Sets this client's presence state on a subscribed topic (null leaves). It is stated once the
   * topic's subscription exists on the server, and again after every reconnect; subscribers
   * with `presence: true` see it.
   */
  setPresence<TState extends object = JsonObject>(
    topic: keyof Schema & string,
    state: (TState & JsonCompatible<TState>) | null,
  ): void
  /**
   * Reloads the stores of a subscribed topic, e.g. to repair a store flagged `stale`: each
   * store with a `load()` runs it; the others take a snapshot from the server (the topic is
   * subscribed again from the head with `snapshot: 'always'`). Without a snapshot for the
   * topic on the server, they keep their data and `stale` stays set.
   *
   * @example
   * const { stale } = todos.$state.get()
   * if (stale) client.resync('todos')
   */
  resync(topic: keyof Schema & string): void
  /**
   * Calls `handler` with the data of every `signal` frame named `name` that reaches this client
   * (sent by the server's `signal(identity, name, data)` or `POST <base>/admin/signal`). Signals
   * are not topic events: one sent while the client is not connected is never received. Signals
   * whose name has no handler are ignored; a handler that throws does not stop the others.
   *
   * @example
   * const off = client.onSignal<{ invoiceId: string }>('invoice.ready', ({ invoiceId }) => notify(invoiceId))
   * off() // stop listening
   * @returns a function that removes this handler
   */
  onSignal<T = Json | undefined>(name: string, handler: SignalHandler<T>): () => void
  /** Connects now (a lazy client connects on first use). */
  connect(): void
  /** Closes the connection for good; pending calls and publishes reject with CLOSED. */
  close(): void
}

/**
 * Creates a client. It connects over WebSocket (falling back to SSE), resumes every topic from
 * its position after a reconnect, drops duplicate events and applies the rest to stores.
 *
 * @example
 * import { createClient, crud } from '@sluice/client'
 *
 * type Todo = { id: string; title: string }
 * const client = createClient<{ todos: CrudState<Todo> }>({
 *   url: 'https://example.com/realtime',
 *   getToken: () => fetch('/token').then((r) => r.text()),
 * })
 * const todos = client.subscribe('todos', { merge: crud<Todo>(), snapshot: true })
 * await client.publish('todos', { kind: 'created', key: 't1', data: { id: 't1', title: 'Ship' } })
 */
export function createClient<
  Schema extends TopicSchema = TopicSchema,
  Procedures extends ProcedureSchema = ProcedureSchema,
>(options: ClientOptions): SluiceClient<Schema, Procedures> {
  const {
    url,
    transports = ['ws', 'sse'],
    token,
    getToken,
    backoff,
    random = Math.random,
    scheduler: schedulerOption = 'microtask',
    callTimeoutMs = 10_000,
    publishTimeoutMs = 10_000,
    offlineQueue = {},
    lazy = true,
    handshakeTimeoutMs = 10_000,
    tokenTimeoutMs = 10_000,
    probeIntervalMs = 60_000,
    pingTimeoutMs = 5_000,
    timers: timerProvider = defaultTimers,
  } = options
  if (typeof process !== 'undefined' && process.env.NODE_ENV !== 'production')
    checkOptions(options, transports)
  const timers = unlimitedTimers(timerProvider)
  // A relative URL (same-origin apps) is resolved against the page; ws(s) is read as http(s).
  const page = (globalThis as { location?: { href?: string } }).location?.href
  const httpUrl = (page ? new URL(url, page).href : url).replace(/^ws(s?):/, 'http$1:')
  const nextId = createIdGenerator(random)
  const scheduler = resolveScheduler(schedulerOption)
  const environment = options.environment ?? browserEnvironment()
  const retryDelay = options.retryDelay ?? ((attempt: number) => fullJitterDelay(attempt, backoff, random))

  // Every command waiting for its answer, by id: subscribes, presence, calls, publishes, the
  // connection's pings and token refreshes.
  const answers = createAwaitedAnswers(timers)
  const signals = createSignals()
  // A development inspector (inspect.ts), null unless one is attached: the frame paths pay one
  // check and build nothing for it.
  let inspector: ClientInspector | null = null

  const createStore: StoreFactory = (storeOptions) =>
    createSubscriptionStore({ ...storeOptions, scheduler, now: () => timers.now() })

  const factories = {
    ws: createWebSocketTransport(options.WebSocket as WebSocketConstructor | undefined),
    sse: createSseTransport(options.fetch),
  }

  const connection = createConnection({
    // The hooks (onConnect, onDisconnect, beforeReconnect) as given; everything below is resolved here.
    ...options,
    url: httpUrl,
    factories,
    selector: createTransportSelector(transports),
    getToken: async () => (getToken ? await getToken() : (token ?? null)),
    canRefreshToken: getToken !== undefined,
    timers,
    environment,
    retryDelay,
    handshakeTimeoutMs,
    tokenTimeoutMs,
    probeIntervalMs,
    pingTimeoutMs,
    nextId,
    answers,
    listener: {
      onOpen(switched) {
        // Answers to what was sent on a replaced connection would arrive there: publishes go
        // again (same ids) here, subscribes are restated. No call is on the wire during a
        // switch (see `Awaited.once`).
        if (switched) answers.dropped()
        subscriptions.onOpen()
        answers.opened()
      },
      onFrame(frame) {
        inspector?.received(frame)
        route(frame)
      },
      onSend: (frame) => inspector?.sent(frame),
      onDrop(error) {
        answers.dropped(error)
        subscriptions.onDrop()
      },
      onClosed(error) {
        subscriptions.onClosed(error)
        answers.closed(error ?? new ClientError('CLOSED', 'the client was closed'))
      },
    },
  })

  // start() starts only an idle connection: the first use of a lazy client connects it.
  const demand = () => connection.start('first use')
  // After close() every command is refused with CLOSED, naming itself; before, it connects a lazy client.
  const ensureUsable = (subject: string) => {
    if (connection.status === 'closed') throw new ClientError('CLOSED', `${subject}: the client was closed`)
  }
  const command = <R>(subject: string, run: () => Promise<R>): Promise<R> => {
    try {
      ensureUsable(subject)
    } catch (error) {
      return Promise.reject(error)
    }
    demand()
    return run()
  }

  const subscriptions = createSubscriptions({
    answers,
    send: connection.send,
    isOpen: connection.isOpen,
    nextId,
    createStore,
    demand,
    now: () => timers.now(),
  })
  const route = createFrameRouter({
    answers,
    topic: subscriptions.handle,
    signal: signals.handle,
    reconnectHint: connection.reconnectHint,
  })
  const commandDeps = { answers, connection, nextId, timers }
  const call = createCalls({
    ...commandDeps,
    timeoutMs: callTimeoutMs,
    queueMaxAgeMs: offlineQueue.callMaxAgeMs ?? 30_000,
  })
  const publish = createPublisher({ ...commandDeps, timeoutMs: publishTimeoutMs, offlineQueue })

  if (!lazy) connection.start('created')

  return {
    $connection: connection.$state,
    subscribe(topic, subscribeOptions) {
      ensureUsable(`subscribe ${topic}`)
      return subscriptions.subscribe(topic, subscribeOptions)
    },
    // The signatures above check arguments and type results; these run on what JSON carries.
    call: ((name: string, args?: unknown, callOptions?: CallOptions) =>
      command(`call ${name}`, () => call(name, args, callOptions))) as SluiceClient<
      Schema,
      Procedures
    >['call'],
    publish: (topic, event, publishOptions) =>
      command(`publish to ${topic}`, () => publish(topic, event as PublishEvent<unknown>, publishOptions)),
    setPresence(topic, state) {
      ensureUsable(`setPresence ${topic}`)
      subscriptions.setPresence(topic, state as JsonObject | null)
    },
    resync(topic) {
      ensureUsable(`resync ${topic}`)
      if (
        !subscriptions.resync(topic) &&
        typeof process !== 'undefined' &&
        process.env.NODE_ENV !== 'production'
      )
        throw new ClientError('NOT_FOUND', `resync: subscribe to ${topic} before reloading it`, { topic })
    },
    onSignal(name, handler) {
      ensureUsable(`onSignal ${name}`)
      demand()
      return signals.on(name, handler as SignalHandler)
    },
    connect: () => connection.start('connect()'),
    close: () => connection.close(),
    // Attaches (null: detaches) the inspector; inspect() builds the rest outside the core bundle.
    [INSPECT]: ((next) => {
      inspector = next
      return answers.ids
    }) satisfies InspectTap,
  }
}
