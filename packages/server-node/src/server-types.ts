import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type {
  EventKind,
  Json,
  JsonCompatible,
  JsonInput,
  JsonObject,
  PresenceMember,
  ServerFrame,
  WireErrorCode,
} from '@sluice/protocol'
import type { ConfigSource } from './config'
import type { Middleware } from './core/middleware'
import type { ConnectionInfo } from './options'
import type { DerivedTopic, DerivedTopicDefinition } from './work/derived'
import type { EffectHandler, EffectOptions } from './work/effects'
import type { Schedule, ScheduleOptions, ScheduleRun, ScheduleStatus } from './work/schedules'
import type { SourceStatus } from './work/sources'

/**
 * An event as the app publishes it; the server adds topic, epoch, seq and ts. `TData` is the
 * data's type: `sluice.publish` checks it is JSON as itself (`JsonCompatible`), so an interface
 * passes and a `Date`, a function or a `bigint` does not compile.
 */
export interface PublishInput<TData = Json> {
  kind: EventKind
  key?: string
  data?: TData
  meta?: JsonObject
}

/**
 * Publish options. At most one of `coalesceKey`, `throttle` and `debounce`: each spaces out the
 * publishes sharing a key on the topic; a publish a later one replaces resolves to null, and
 * what is still pending when the server closes is appended at once.
 */
export interface PublishOptions {
  /**
   * Publishes with the same key within `coalesceMs` collapse into the last one: only it is
   * appended, and the earlier calls resolve to null. For high-rate state (cursors, progress).
   */
  coalesceKey?: string
  /**
   * At most one append per `ms` for the key, leading and trailing: a publish after a quiet
   * period is appended at once; of those made during the following `ms`, the last is appended
   * when the `ms` are over (and opens the next window). The last value always lands.
   */
  throttle?: { key: string; ms: number }
  /**
   * Trailing: each publish replaces the pending one and restarts the timer; the last is appended
   * once `ms` passed without another publish with the key. A key published more often than
   * every `ms` is never appended meanwhile: use `throttle` for values that must keep flowing.
   */
  debounce?: { key: string; ms: number }
  /** Idempotency id: a second publish with the same id on the topic is not appended again. */
  id?: string
}

/** Counters of a running server, as `GET <basePath>/status` returns them. */
export interface ServerStats {
  /** The protocol version this server speaks. */
  protocol: number
  /** Open connections, both transports. */
  connections: number
  /** Open connections per transport. */
  transports: { ws: number; sse: number }
  subscriptions: number
  topics: number
  eventsPublished: number
  eventsDelivered: number
  uptimeMs: number
  closing: boolean
  /** The sources the server owns ({@link SluiceServer.source}). */
  sources: SourceStatus[]
  /** The schedules ({@link SluiceServer.schedule}). */
  schedules: ScheduleStatus[]
}

export interface CloseOptions {
  /** The shortest wait before clients reconnect, sent in the `reconnect` frame. @default 1_000 */
  retryAfterMs?: number
  /**
   * Each connection is told `retryAfterMs` plus its own random share of this window, so that a
   * fleet of clients does not come back in one instant (PROTOCOL.md § reconnect); 0 tells every
   * connection exactly `retryAfterMs`.
   * @default `retryAfterMs` or 1 ms per open connection, whichever is longer (about 1,000 reconnects a second at most)
   */
  retrySpreadMs?: number
}

/** The server returned by {@link createSluiceServer}. */
export interface SluiceServer {
  /** Handles WebSocket upgrades for `<basePath>/ws` on an http(s) server; other upgrades are left alone. */
  attach(server: Server | HttpsServer): void
  /** A node:http request handler for `<basePath>/*`, `/healthz` and `/metrics`; anything else gets 404. */
  handler(req: IncomingMessage, res: ServerResponse): void
  /**
   * The same endpoints as {@link SluiceServer.handler} as a web-standard handler, for any host that
   * passes a `Request` and streams a `Response` body: Deno, Bun, Next.js route handlers. SSE
   * streams are the Response's ReadableStream body; a stream ends for the server when the host
   * cancels the body or the request's signal aborts. Needs no `this` (pass `sluice.fetch` as it is).
   *
   * @example
   * Deno.serve({ port: 8080 }, sluice.fetch)
   * Bun.serve({ port: 8080, fetch: sluice.fetch })
   * export const GET = (request: Request) => sluice.fetch(request) // Next.js app/realtime/[...path]/route.ts
   * @param context what the host passes beside the request: Deno's handler info and Bun's server
   *   give the client's address (so does `{ remoteAddress }`), and Bun's server is what upgrades
   *   a WebSocket (with {@link bunWebSocket}); anything else is ignored
   */
  fetch(request: Request, context?: unknown): Promise<Response>
  /** Starts an own http server (attach + handler). @param port default 0 (any free port) @param host default '127.0.0.1' */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>
  /**
   * Appends an event to a topic's log and delivers it to every subscriber.
   * @returns where it landed, or null when a later publish with the same coalesceKey replaced it
   */
  publish<TData = Json>(
    topic: string,
    event: PublishInput<JsonInput<TData>>,
    options?: PublishOptions,
  ): Promise<{ epoch: string; seq: number } | null>
  /**
   * Sends a frame to every connection of an identity (on every node, through the engine).
   * @returns the number of connections of this node it reached
   */
  sendTo(identityId: string, frame: ServerFrame): Promise<number>
  /**
   * Sends an application message (a `signal` frame) to every connection of an identity, on
   * every node, or to one connection (`{ connection: id }`, on whichever node holds it). Not a
   * topic event: not stored, not replayed, so a connection that is not open now never sees it.
   * Clients receive it with `client.onSignal(name, handler)`.
   *
   * @example
   * await sluice.signal('user-1', 'invoice.ready', { invoiceId: 'in_42' })
   * await sluice.signal({ connection: ctx.connectionId }, 'export.done', { url })
   * @param name the characters of a topic name, at most 128 (`invoice.ready`, `billing/plan-changed`)
   * @param data any JSON value, or nothing
   * @returns for an identity, the number of connections of this node it reached (other nodes'
   *   are not counted); for one connection, 1 when it is open here or its node took the message, else 0
   * @throws ServerError BAD_REQUEST for a bad name or data that is not JSON, LIMIT_EXCEEDED for a name over 128 characters
   */
  signal<TData = Json>(
    target: string | { connection: string },
    name: string,
    data?: JsonInput<TData>,
  ): Promise<number>
  /** Closes every connection of an identity with an error frame and the code's close code. @returns connections closed on this node */
  closeByIdentity(identityId: string, reason?: WireErrorCode, message?: string): Promise<number>
  /** The topic's presence members. */
  presence(topic: string): Promise<PresenceMember[]>
  /**
   * Runs `run` at the times a cron expression names and publishes what it returns to `topic`.
   * Runs never overlap: a due time that finds the previous run still going is skipped (logged,
   * counted in `/status`, passed to `onSkip`). A throw or a failed publish goes to onError.
   * Each run's event is published with the id `<name>@<due time>`, so a deployment that runs
   * the schedule on every node appends one event per due time. Stopped by close().
   *
   * @example
   * sluice.schedule('0 * * * * *', 'prices', async () => ({ kind: 'set', data: await fetchPrices() }))
   * @param cron 5 fields (minute precision) or 6 with seconds first, as croner reads them
   * @throws TypeError for a bad expression, time zone or topic, or a name already taken
   */
  schedule(cron: string, topic: string, run: ScheduleRun, options?: ScheduleOptions): Schedule
  /**
   * Derives a topic from the events of other topics with a reducer: each source event that
   * changes the state publishes `{ kind: 'set', data: state }` to `topic`, a topic like any
   * other (positions, replay, resync), whose snapshot is the current state. See the README's
   * "Derived topics" for restarts, lost source events and many nodes.
   *
   * @example
   * sluice.derive('votes:count', { from: 'votes', initial: 0, reduce: (count) => count + 1 })
   * @throws TypeError for a bad topic or source, a topic derived already, or a reduce that is not a function
   */
  // The state is checked with JsonCompatible rather than constrained to Json: a `Json` constraint
  // makes TypeScript keep `initial: 0` as the literal type 0, so `reduce: (n) => n + 1` failed.
  derive<State>(
    topic: string,
    definition: DerivedTopicDefinition<State> & { initial: JsonCompatible<State> },
  ): DerivedTopic<State>
  /**
   * Calls `handler` with each event appended through this node to a topic matching `pattern`
   * (patterns as in rules: `orders:*`, `audit:**`). The publish does not wait for it: events are
   * queued per handler and handled one at a time, in append order. Errors go to onError.
   *
   * @example
   * sluice.onPublish('orders:*', (event) => audit.write(event.topic, event.seq, event.data))
   * @returns removes the handler
   * @throws TypeError for a bad pattern
   */
  onPublish(pattern: string, handler: EffectHandler, options?: EffectOptions): () => void
  /**
   * Adds a middleware around every call and client publish, inside those already registered
   * (the `middleware` option's first, then earlier `use` calls): onion order, the first
   * registered runs first and finishes last. It runs after the procedure's guard and schema, or
   * the topic's authorization, and before the procedure or the append. Commands already running
   * keep the list they started with.
   *
   * @example
   * sluice.use(async (ctx, next) => {
   *   if (ctx.type === 'publish') ctx.event.meta = { ...ctx.event.meta, author: ctx.identity?.id ?? null }
   *   await next()
   * })
   * @returns removes it (commands already running keep it)
   * @throws TypeError for anything but a function
   */
  use(middleware: Middleware): () => void
  /**
   * Starts a source the server owns: `start(server, { signal, report })` is called at once and
   * may return a handle with `stop()`, a stop function, or nothing. close() aborts `signal`,
   * then stops the handle, before the engine closes. Listed in `/status` with its state.
   *
   * @example
   * await sluice.source('prices', (server) => poll(server, 'prices', { intervalMs: 5_000, fetch: fetchPrices }))
   * @returns settles once `start` did; rejects with its error (also reported to onError)
   * @throws TypeError for a name already taken; ServerError SHUTTING_DOWN once close() was called
   */
  source(name: string, start: ConfigSource): Promise<void>
  stats(): ServerStats
  connections(): ConnectionInfo[]
  /**
   * Stops schedules and sources, tells every client to reconnect later, closes connections
   * (1012 / end of stream), waits for them to drain, lets effects finish their queued events,
   * then closes the engine it created.
   */
  close(options?: CloseOptions): Promise<void>
}
