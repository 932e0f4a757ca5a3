import type { Json, Limits } from '@sluice/protocol'
import { DEFAULT_HEARTBEAT_MS, DEFAULT_LIMITS } from '@sluice/protocol'
import type { Logger as PinoLogger } from 'pino'
import type { Registry } from 'prom-client'
import { createJwtAuthenticator, type JwtAuthenticatorOptions } from './auth/jwt'
import type { Middleware } from './core/middleware'
import type { Engine } from './engine/types'
import type { AllowedOrigins } from './http/cors'
import type { Authenticate, Authorize, Identity } from './identity'
import { createMemoryRateLimitStore, type RateLimitStore } from './limits/rate-limit-store'
import {
  checkRateLimit,
  type IdentityRateLimits,
  type ProcedureRateLimit,
  RateLimiter,
} from './limits/rate-limiter'
import { type Access, checkAccess } from './permissions/access'
import { type Rule, Rules } from './permissions/rules'
import type { SluiceServer } from './server-types'
import type { DerivedTopicEntry } from './work/derived'
import type { EffectDefinition } from './work/effects'
import type { ScheduleDefinition } from './work/schedules'

/**
 * A Standard Schema (https://standardschema.dev) validator: zod, valibot, arktype and others
 * implement it. Only the part Sluice calls is typed here.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (
      value: unknown,
    ) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>
    readonly types?: { readonly input: Input; readonly output: Output } | undefined
  }
}

export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
      }>
    }

/** What a procedure knows about its caller. */
export interface ProcedureContext {
  identity: Identity | null
  connectionId: string
  server: SluiceServer
  /** What middleware put there for the procedure (`ctx.state` of the {@link Middleware}); empty in a guard. */
  state: Record<string, unknown>
}

/** A server function a client runs with `call`. Its return value is sent back as JSON. */
// biome-ignore lint/suspicious/noExplicitAny: procedures declare their own argument types
export type Procedure<Args = any> = (args: Args, ctx: ProcedureContext) => unknown

/**
 * Who may call a procedure: an {@link Access} value (`'authenticated'`, `{ claim: 'role', equals: 'admin' }`…)
 * or a function of the caller, run before the arguments are validated.
 */
export type ProcedureGuard = Access | ((ctx: ProcedureContext) => boolean | Promise<boolean>)

/**
 * A procedure with its guard and, optionally, a Standard Schema its arguments must pass first
 * (VALIDATION on failure). A procedure without a `guard` is callable only when a procedure rule
 * in `rules` allows it.
 *
 * `Output` is what the handler receives (the schema's output), `Input` what a client sends (the
 * schema's input) and `Result` what the handler returns: a typed client reads `Input` and
 * `Result` from `typeof procedures` (see {@link defineProcedures}).
 */
// biome-ignore lint/suspicious/noExplicitAny: the record of procedures holds handlers of any argument type
export interface ValidatedProcedure<Output = any, Input = Output, Result = unknown> {
  input?: StandardSchemaV1<Input, Output>
  guard?: ProcedureGuard
  /**
   * This procedure's own token bucket, per caller identity (shared by the nodes with a shared
   * `rateLimitStore`) or per connection; spent before the guard runs. Over it: RATE_LIMITED
   * with `retryAfterMs`, and the procedure does not run. @default none
   */
  rateLimit?: ProcedureRateLimit
  handler: (args: Output, ctx: ProcedureContext) => Result
}

/**
 * Types a validated procedure's handler from its schema's output, and keeps the schema's input
 * type and the handler's result type in its own type, for a typed client (see
 * {@link defineProcedures}). Without `input`, the handler's parameter type is what clients send.
 *
 * @example
 * procedures: {
 *   addTodo: defineProcedure({
 *     input: z.object({ title: z.string() }),
 *     guard: 'authenticated',
 *     handler: ({ title }) => add(title),
 *   }),
 * }
 */
export function defineProcedure<Output, Input = Output, Result = unknown>(
  procedure: ValidatedProcedure<Output, Input, Result>,
): ValidatedProcedure<Output, Input, Result> {
  return procedure
}

/**
 * Checks a `procedures` object and returns it as it is, with its exact type: export that type
 * (`export type AppProcedures = typeof procedures`) and give it to `createClient<Topics,
 * AppProcedures>()`, so `client.call(name, args)` checks the name and arguments and resolves with
 * the handler's result type, without code generation. The client imports it with `import type`,
 * which TypeScript erases: no server code reaches the client bundle.
 *
 * @example
 * export const procedures = defineProcedures({
 *   'todos.stats': defineProcedure({
 *     input: z.object({ owner: z.string() }),
 *     guard: 'authenticated',
 *     handler: async ({ owner }) => ({ open: await countOpen(owner) }),
 *   }),
 * })
 * export type AppProcedures = typeof procedures
 * createSluiceServer({ procedures })
 */
export function defineProcedures<const Procedures extends Record<string, Procedure | ValidatedProcedure>>(
  procedures: Procedures,
): Procedures {
  return procedures
}

/**
 * Returns a topic's current state for a `snapshot` frame; null or undefined means none for this
 * topic. The state is sent as JSON: any JSON value, or objects and arrays of your own types
 * (`Todo[]` of an `interface Todo`, which has no index signature and so is not a `Json`). A
 * return type cannot be checked property by property as `publish` checks its data: keep it to
 * what JSON carries (a `Date` arrives as its ISO string, functions and `undefined` vanish).
 */
export type SnapshotProvider = (
  topic: string,
  ctx: { identity: Identity | null },
) => SnapshotData | null | undefined | Promise<SnapshotData | null | undefined>

/** What a {@link SnapshotProvider} returns: JSON, or an object or array of the app's own (interface) types. */
export type SnapshotData = Json | object

/** A connection as hooks and {@link SluiceServer.connections} see it. */
export interface ConnectionInfo {
  id: string
  transport: 'ws' | 'sse'
  identity: Identity | null
  /** ms since the Unix epoch. */
  connectedAt: number
  subscriptions: string[]
  remoteAddress: string | undefined
}

/** Where a reported error happened. */
export interface ErrorContext {
  /** What was being done: a frame type (`call`, `subscribe`…), `hook:onConnect`, `http`, `socket`… */
  operation: string
  connectionId?: string
  identity?: Identity | null
  topic?: string
}

/** Options of {@link createSluiceServer}. Every option has a default; `{}` is a working anonymous server. */
export interface SluiceServerOptions {
  /** Path prefix of every realtime endpoint. @default '/realtime' */
  basePath?: string
  /** Resolves connect requests and `auth` frames to an identity. @default anonymous (every connection has identity null) */
  authenticate?: Authenticate
  /** Shorthand for `authenticate: createJwtAuthenticator(jwt)`; ignored when `authenticate` is set. */
  jwt?: JwtAuthenticatorOptions
  /**
   * Who may subscribe, publish from a client and join presence, per topic pattern, and who may
   * call which procedures: data, checked in one place for every transport. With no topic rule,
   * anyone may subscribe and join presence and nobody may publish from a client; with topic
   * rules, a topic no rule matches is refused. A token's capabilities claim replaces the rules
   * for its holder. See the README's Permissions section.
   */
  rules?: Rule[]
  /** The JWT claim (identity claim) holding a token's capabilities. @default 'caps' */
  capabilitiesClaim?: string
  /**
   * Decides subscribe, publish and presence per identity and topic in code; its answer replaces
   * the verdict of the rules and capabilities, which it receives as `context.allowed`.
   * @default none: the rules and capabilities decide
   */
  authorize?: Authorize
  /** Snapshot provider for `snapshot: 'always' | 'resync'` subscriptions. Publishes to the topic wait while it runs. */
  snapshot?: SnapshotProvider
  /** How long a snapshot provider may run before the subscribe fails with INTERNAL. @default 10_000 */
  snapshotTimeoutMs?: number
  /** Procedures clients can `call`, by name; each needs a `guard` or a procedure rule to be callable. */
  procedures?: Record<string, Procedure | ValidatedProcedure>
  /** Topic logs, presence and cross-node routing. @default createMemoryEngine() */
  engine?: Engine
  /** Interval of server heartbeats (WS ping frames, SSE `: ping`). @default 25_000 */
  heartbeatMs?: number
  /** A WebSocket that sends nothing (not even a pong) for this long is closed with 4408. @default 2 * heartbeatMs */
  idleTimeoutMs?: number
  /** Limits announced in `welcome` and enforced. @default DEFAULT_LIMITS from @sluice/protocol */
  limits?: Partial<Limits>
  /** Per-connection command rate limit (token bucket), or false for none. @default { perSecond: 100, burst: 200 } */
  rateLimit?: { perSecond: number; burst: number } | false
  /**
   * Token buckets per identity, shared by all its connections: `commands` (every frame but
   * ping), `calls`, `publishes`. They come after the per-connection `rateLimit` and before
   * authorization; an anonymous connection gets buckets of its own. Over one: RATE_LIMITED with
   * `retryAfterMs`. With a shared `rateLimitStore` they hold across nodes.
   * @default {} (none)
   */
  identityRateLimits?: IdentityRateLimits
  /**
   * Where the per-identity and per-procedure buckets live (per-connection ones stay in memory).
   * @default the engine's `rateLimits` when it has one (the Redis engine: shared by the nodes), else createMemoryRateLimitStore()
   */
  rateLimitStore?: RateLimitStore
  /**
   * Middleware around every call and client publish, outermost first; {@link SluiceServer.use}
   * adds more after these. They run after the guard (and the schema) or the topic's
   * authorization. See {@link Middleware}.
   * @default []
   */
  middleware?: Middleware[]
  /** Most open connections (both transports); more are refused with 503 OVERLOADED. @default Infinity */
  maxConnections?: number
  /** Outbound bytes a connection may have queued before it is closed as a slow consumer (4507). @default 1 MiB */
  maxBufferedBytes?: number
  /**
   * Browser origins allowed to connect and POST commands. Requests without `Origin` (non-browser
   * clients) are always allowed. Set it whenever `authenticate` reads cookies. @default '*'
   */
  allowedOrigins?: AllowedOrigins
  /** Bearer keys accepted by `POST <basePath>/publish` for any topic. @default [] */
  publishKeys?: string[]
  /**
   * Bearer keys of the operations API (`<basePath>/admin/*` and `<basePath>/status`): disconnect
   * an identity, read presence, topics and history, send signals. With none, those endpoints
   * answer 403. A key may not also be a publish key: each list grants only its own endpoints.
   * @default []
   */
  adminKeys?: string[]
  /** A pino logger, or false for none. @default a JSON logger on stdout that redacts tokens */
  logger?: PinoLogger | false
  /** Prometheus metrics at `/metrics`: true for a private registry, or your Registry. @default false */
  metrics?: boolean | Registry
  /** Window in which publishes with the same `coalesceKey` collapse to the latest. @default 50 */
  coalesceMs?: number
  /** Publish ids remembered per topic for idempotent retries. @default { size: 1000, ms: 120_000 } */
  dedupWindow?: { size: number; ms: number }
  /** How long `close()` waits for connections to drain before cutting them. @default 5_000 */
  shutdownTimeoutMs?: number
  /** The `retry:` hint sent to EventSource clients, in ms. @default 2_000 */
  sseRetryMs?: number
  /** Called when a connection is open and welcomed. Errors are reported to onError, never to the client. */
  onConnect?: (connection: ConnectionInfo) => void | Promise<void>
  /** Called once a connection is gone, with the close code and reason. */
  onDisconnect?: (connection: ConnectionInfo, close: { code: number; reason: string }) => void | Promise<void>
  /** Called after a subscription took effect. */
  onSubscribe?: (connection: ConnectionInfo, topic: string) => void | Promise<void>
  /** Called after a subscription ended (by the client, a re-auth, or the connection closing). */
  onUnsubscribe?: (
    connection: ConnectionInfo,
    topic: string,
    reason: string | undefined,
  ) => void | Promise<void>
  /** Called with every unexpected error: a procedure's throw, a hook's failure, a socket error. */
  onError?: (error: unknown, context: ErrorContext) => void
  /**
   * Cron schedules whose function's result is published, armed when the server is created:
   * the same as calling {@link SluiceServer.schedule} for each.
   * @default []
   */
  schedules?: ScheduleDefinition[]
  /**
   * Topics computed from other topics' events by a reducer: the same as calling
   * {@link SluiceServer.derive} for each.
   * @default []
   */
  // biome-ignore lint/suspicious/noExplicitAny: each entry has its own state type
  derived?: DerivedTopicEntry<any>[]
  /**
   * Handlers of the events appended on this node to topics matching a pattern: the same as
   * calling {@link SluiceServer.onPublish} for each.
   * @default []
   */
  effects?: EffectDefinition[]
}

/** Options with every default applied. */
export interface ResolvedOptions {
  basePath: string
  authenticate: Authenticate
  authorize: Authorize | undefined
  rules: Rules
  capabilitiesClaim: string
  snapshot: SnapshotProvider | undefined
  snapshotTimeoutMs: number
  procedures: Map<string, ValidatedProcedure>
  heartbeatMs: number
  idleTimeoutMs: number
  limits: Limits
  rateLimit: { perSecond: number; burst: number } | false
  /** Identity and procedure limits (identityRateLimits, rateLimitStore). */
  rateLimiter: RateLimiter
  /** Replaced, never changed in place, by `use()`: a command runs the list it started with. */
  middleware: readonly Middleware[]
  maxConnections: number
  maxBufferedBytes: number
  allowedOrigins: AllowedOrigins
  publishKeys: string[]
  adminKeys: string[]
  coalesceMs: number
  dedupWindow: { size: number; ms: number }
  shutdownTimeoutMs: number
  sseRetryMs: number
}

/** The default `authenticate`: every connection is anonymous. */
export const anonymous: Authenticate = () => null

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new RangeError(`${name} must be a positive number, received ${value}`)
  return value
}

function checkAdminKeys(adminKeys: string[], publishKeys: string[]): string[] {
  for (const key of adminKeys) {
    if (typeof key !== 'string' || key.length === 0) {
      throw new TypeError('adminKeys must be non-empty strings')
    }
    // One string in both lists would make a publish credential an operations credential too.
    if (publishKeys.includes(key)) {
      throw new TypeError('adminKeys and publishKeys must not share a key: use a separate admin key')
    }
  }
  return adminKeys
}

/** Applies defaults and checks option values, failing fast with the option's name. */
export function resolveOptions(options: SluiceServerOptions): ResolvedOptions {
  const {
    basePath = '/realtime',
    jwt,
    authenticate = jwt ? createJwtAuthenticator(jwt) : anonymous,
    authorize,
    rules = [],
    capabilitiesClaim = 'caps',
    snapshot,
    snapshotTimeoutMs = 10_000,
    procedures = {},
    heartbeatMs = DEFAULT_HEARTBEAT_MS,
    idleTimeoutMs = 2 * heartbeatMs,
    limits,
    rateLimit = { perSecond: 100, burst: 200 },
    identityRateLimits = {},
    rateLimitStore = options.engine?.rateLimits ?? createMemoryRateLimitStore(),
    middleware = [],
    maxConnections = Number.POSITIVE_INFINITY,
    maxBufferedBytes = 1024 * 1024,
    allowedOrigins = '*',
    publishKeys = [],
    adminKeys = [],
    coalesceMs = 50,
    dedupWindow = { size: 1000, ms: 120_000 },
    shutdownTimeoutMs = 5_000,
    sseRetryMs = 2_000,
  } = options
  if (!/^\/([A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*)?$/.test(basePath)) {
    throw new TypeError(
      `basePath must look like '/realtime' (no trailing slash), received ${JSON.stringify(basePath)}`,
    )
  }
  positive('heartbeatMs', heartbeatMs)
  positive('idleTimeoutMs', idleTimeoutMs)
  if (idleTimeoutMs <= heartbeatMs) {
    // Browsers only answer pings; with an idle timeout at or under the ping interval every
    // quiet client would be closed before it had a chance to pong.
    throw new RangeError(
      `idleTimeoutMs (${idleTimeoutMs}) must be greater than heartbeatMs (${heartbeatMs}); the default is twice it`,
    )
  }
  const table = new Map<string, ValidatedProcedure>()
  for (const [name, entry] of Object.entries(procedures)) {
    table.set(name, checkProcedure(name, entry))
  }
  return {
    basePath: basePath === '/' ? '' : basePath,
    authenticate,
    authorize,
    rules: new Rules(rules),
    capabilitiesClaim,
    snapshot,
    snapshotTimeoutMs: positive('snapshotTimeoutMs', snapshotTimeoutMs),
    procedures: table,
    heartbeatMs: positive('heartbeatMs', heartbeatMs),
    idleTimeoutMs: positive('idleTimeoutMs', idleTimeoutMs),
    limits: { ...DEFAULT_LIMITS, ...limits },
    rateLimit,
    rateLimiter: new RateLimiter(
      checkRateLimitStore(rateLimitStore),
      checkIdentityRateLimits(identityRateLimits),
    ),
    middleware: checkMiddleware(middleware),
    maxConnections: positive('maxConnections', maxConnections),
    maxBufferedBytes: positive('maxBufferedBytes', maxBufferedBytes),
    allowedOrigins,
    publishKeys,
    adminKeys: checkAdminKeys(adminKeys, publishKeys),
    coalesceMs: Math.max(0, coalesceMs),
    dedupWindow,
    shutdownTimeoutMs: Math.max(0, shutdownTimeoutMs),
    sseRetryMs: Math.max(0, sseRetryMs),
  }
}

function checkProcedure(name: string, entry: Procedure | ValidatedProcedure): ValidatedProcedure {
  if (typeof entry === 'function') return { handler: entry }
  if (typeof entry !== 'object' || entry === null || typeof entry.handler !== 'function') {
    throw new TypeError(`procedures.${name} must be a function or { handler, guard?, input? }`)
  }
  if (entry.input !== undefined && !(typeof entry.input === 'object' && '~standard' in entry.input)) {
    throw new TypeError(`procedures.${name}.input must be a Standard Schema (zod, valibot, arktype…)`)
  }
  if (entry.guard !== undefined && typeof entry.guard !== 'function') {
    checkAccess(entry.guard, `procedures.${name}.guard`, false)
  }
  if (entry.rateLimit !== undefined) checkRateLimit(entry.rateLimit, `procedures.${name}.rateLimit`, true)
  return entry
}

const IDENTITY_LIMITS = ['commands', 'calls', 'publishes']

function checkIdentityRateLimits(limits: IdentityRateLimits): IdentityRateLimits {
  if (typeof limits !== 'object' || limits === null) {
    throw new TypeError('identityRateLimits must be { commands?, calls?, publishes? }')
  }
  for (const [key, limit] of Object.entries(limits)) {
    if (!IDENTITY_LIMITS.includes(key)) {
      throw new TypeError(
        `identityRateLimits has an unknown field ${JSON.stringify(key)} (it has commands, calls, publishes)`,
      )
    }
    if (limit !== undefined) checkRateLimit(limit, `identityRateLimits.${key}`)
  }
  return limits
}

function checkRateLimitStore(store: RateLimitStore): RateLimitStore {
  if (typeof store?.consume !== 'function') {
    throw new TypeError('rateLimitStore must have consume(key, cost, { perSecond, burst })')
  }
  return store
}

/** Checks the middleware option; a copy, so changing the app's array later changes nothing. */
function checkMiddleware(middleware: readonly Middleware[]): readonly Middleware[] {
  if (!Array.isArray(middleware))
    throw new TypeError('middleware must be a list of (ctx, next) => … functions')
  middleware.forEach((entry, index) => {
    if (typeof entry !== 'function') {
      throw new TypeError(
        `middleware[${index}] must be a (ctx, next) => … function, received ${typeof entry}`,
      )
    }
  })
  return [...middleware]
}
