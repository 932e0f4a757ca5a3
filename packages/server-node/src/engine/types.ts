import type {
  EventFrame,
  Json,
  JsonObject,
  PresenceMember,
  ResyncReason,
  ServerFrame,
  WireErrorCode,
} from '@sluice/protocol'
import type { RateLimitStore } from '../limits/rate-limit-store'

/** What a publisher hands to the engine: an event without its place in the log. */
export interface EventInput {
  kind: string
  key?: string
  data?: Json
  meta?: JsonObject
  /** Server time of the publish, ms since the Unix epoch. */
  ts: number
  /** The client's publish id, echoed so the publisher can match its optimistic update. */
  publishId?: string
}

/**
 * Publish dedup for one append: a publish whose key was appended within the window is not
 * appended again; the engine answers with the original position instead.
 */
export interface DedupOptions {
  /** The publisher's scope and publish id, joined: ids of different publishers never collide. */
  key: string
  /** How long the key is remembered, in ms. */
  windowMs: number
  /** At most this many keys are remembered per topic (an engine may bound by time alone). */
  windowSize: number
}

/** The answer to {@link Engine.append}: the appended event, or where the earlier publish with the same dedup key landed. */
export type AppendResult =
  | { duplicate: false; event: EventFrame }
  | { duplicate: true; epoch: string; seq: number }

/** The current end of a topic's log. `seq` is 0 for a log that never held an event. */
export interface LogHead {
  epoch: string
  seq: number
}

/** The answer to {@link Engine.readAfter}: the events after a position, or why they cannot be replayed. */
export type ReadResult =
  | { ok: true; epoch: string; head: number; events: EventFrame[] }
  | { ok: false; reason: ResyncReason; epoch: string; head: number }

/** One change of a topic's presence, as every node must see it. */
export interface PresenceChange {
  topic: string
  action: 'join' | 'update' | 'leave'
  member: PresenceMember
}

/** A message for every connection of one identity, wherever it is connected. */
export type IdentityMessage =
  | { type: 'frame'; frame: ServerFrame }
  | { type: 'close'; code: WireErrorCode; message: string }

/** Where a topic's delivery stands after events were lost on the way to this node. */
export interface LostEvents {
  /** `too_old`: the missed events are no longer in the log; `epoch_changed`: the log was replaced. */
  reason: ResyncReason
  epoch: string
  /** The head after the loss: events after it follow in order. */
  seq: number
}

/**
 * What an engine tells every node: events appended anywhere, presence changes, and
 * messages routed to an identity. The memory engine calls these synchronously inside the
 * call that caused them; a networked engine calls them when its bus delivers.
 *
 * Per topic, `event` is called in seq order with no seq skipped; when an engine cannot keep
 * that (a bus dropped events that the log no longer holds, or the log was replaced), it calls
 * `lost` instead, and the events after the position it names follow.
 */
export interface EngineListener {
  event(event: EventFrame): void
  presence(change: PresenceChange): void
  identity(identityId: string, message: IdentityMessage): void
  lost(topic: string, lost: LostEvents): void
  /** A message for one connection of this node, sent by another node (see {@link Engine.sendToConnection}). */
  connection?(connectionId: string, message: IdentityMessage): void
  /** Another node forwards an SSE command POST for a stream of this node (see {@link Engine.forwardSseCommands}). */
  sseCommands(request: SseCommandRequest): SseCommandAnswer
}

/** An SSE command POST that reached a node other than the one holding the stream. */
export interface SseCommandRequest {
  connectionId: string
  /** The `sluice-key` header, checked by the stream's node. */
  key: string | undefined
  /** The POST body, read within `limits.maxFrameBytes` by the node that received it. */
  body: string
}

/** The stream's node's HTTP answer to a forwarded SSE command POST. */
export interface SseCommandAnswer {
  status: number
  body: unknown
}

/** Whether the engine can serve: `down` while its store is unreachable (a multi-node engine's Redis). */
export type EngineStatus = 'up' | 'down'

/**
 * Where topic logs, presence and cross-node routing live. The server core only talks to this
 * interface, so a Redis (or any shared) engine can replace {@link createMemoryEngine} without
 * touching transports or the subscribe flow.
 *
 * Ordering contract: appends to one topic must land in the order `append` was called, and
 * `event` notifications for one topic must arrive in seq order. Methods may return values or
 * promises; the core awaits either.
 */
export interface Engine {
  /**
   * Appends an event to the topic's log and notifies every node's listener, unless `dedup`
   * names a key appended within its window: then nothing is appended and the original
   * position is returned. An engine that cannot reach its store throws a ServerError
   * `UNAVAILABLE` with `retryAfterMs`, having appended nothing.
   */
  append(topic: string, event: EventInput, dedup?: DedupOptions): AppendResult | Promise<AppendResult>
  /** The topic's epoch and last seq (creating the log, with a fresh epoch, if it does not exist). */
  head(topic: string): LogHead | Promise<LogHead>
  /**
   * The events after `from` up to the head, in order, or a resync reason: `epoch_changed`
   * (another log instance), `too_old` (events after `from` were evicted), `ahead` (from.seq > head).
   */
  readAfter(topic: string, from: { epoch: string; seq: number }): ReadResult | Promise<ReadResult>
  /** Registers this node's listener; returns the function that removes it. */
  subscribe(listener: EngineListener): () => void
  /**
   * This node wants the topic's events and presence changes from now on. Resolves once they are
   * flowing (a networked engine subscribed its bus), so a log read after it misses nothing: the
   * subscribe flow awaits it before reading the client's start position. Called once when a
   * topic gets its first subscriber on this node.
   */
  watch(topic: string): void | Promise<void>
  /** This node no longer has subscribers of the topic. */
  unwatch(topic: string): void
  /**
   * Holds appends to the topic on every node until the returned release is called (holds nest),
   * so a snapshot taken meanwhile matches the head read meanwhile. Appends from this node are
   * held by the Publisher itself; an engine for one process may return a no-op.
   */
  hold(topic: string): (() => void) | Promise<() => void>
  /** `down` while the engine cannot serve; /healthz answers 503 then. */
  status(): EngineStatus
  /**
   * A networked engine's name for this node. Connection ids start with it (`<nodeId>.`), so any
   * node can tell which one holds an SSE stream.
   */
  readonly nodeId?: string
  /**
   * Hands an SSE command POST to the node holding the stream and resolves with that node's
   * answer; null when no such node is running. Only engines with a `nodeId` have it.
   */
  forwardSseCommands?(node: string, request: SseCommandRequest): Promise<SseCommandAnswer | null>
  /** Adds or replaces a presence member; notifies every node with join or update. */
  setPresence(topic: string, member: PresenceMember): void | Promise<void>
  /** Removes a presence member; notifies every node with leave if it was there. */
  removePresence(topic: string, connectionId: string): void | Promise<void>
  /** Every member of a topic's presence, across nodes. */
  presence(topic: string): PresenceMember[] | Promise<PresenceMember[]>
  /** Routes a message to every connection of an identity, on every node. */
  sendToIdentity(identityId: string, message: IdentityMessage): void | Promise<void>
  /**
   * Routes a message to one connection of another node (named in its id, `<node>.`); resolves
   * false when no such node is running. Only engines with a `nodeId` have it: with one node,
   * every connection is local.
   */
  sendToConnection?(node: string, connectionId: string, message: IdentityMessage): Promise<boolean>
  /**
   * Sets how much of each topic's log to keep, per topic (the server's `rules` can set it per
   * namespace); topics it answers undefined for keep the engine's defaults. Every node of a
   * deployment must be given the same policy. Engines without it keep their defaults.
   */
  configureRetention?(policy: RetentionPolicy): void
  /**
   * A rate limit store the nodes of the deployment share (the Redis engine's keeps its buckets
   * in Redis), used by default for the server's per-identity and per-procedure limits so they
   * hold across nodes. Engines for one process leave it out (the server keeps them in memory).
   */
  readonly rateLimits?: RateLimitStore
  /** Releases timers and connections. */
  close(): void | Promise<void>
}

/** How much of a topic's log is kept. */
export interface Retention {
  /** Events kept per topic. */
  maxEvents?: number
  /** Age after which events leave the log, in ms. */
  maxAgeMs?: number
}

/** The retention of a topic, or undefined for the engine's defaults. */
export type RetentionPolicy = (topic: string) => Retention | undefined
