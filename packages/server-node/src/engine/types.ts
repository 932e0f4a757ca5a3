import type {
  EventFrame,
  Json,
  JsonObject,
  PresenceMember,
  ResyncReason,
  ServerFrame,
  WireErrorCode,
} from '@sluice/protocol'

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

/**
 * What an engine tells every node: events appended anywhere, presence changes, and
 * messages routed to an identity. The memory engine calls these synchronously inside the
 * call that caused them; a networked engine calls them when its bus delivers.
 */
export interface EngineListener {
  event(event: EventFrame): void
  presence(change: PresenceChange): void
  identity(identityId: string, message: IdentityMessage): void
}

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
  /** Appends an event to the topic's log and notifies every node's listener. */
  append(topic: string, event: EventInput): EventFrame | Promise<EventFrame>
  /** The topic's epoch and last seq (creating the log, with a fresh epoch, if it does not exist). */
  head(topic: string): LogHead | Promise<LogHead>
  /**
   * The events after `from` up to the head, in order, or a resync reason: `epoch_changed`
   * (another log instance), `too_old` (events after `from` were evicted), `ahead` (from.seq > head).
   */
  readAfter(topic: string, from: { epoch: string; seq: number }): ReadResult | Promise<ReadResult>
  /** Registers this node's listener; returns the function that removes it. */
  subscribe(listener: EngineListener): () => void
  /** Adds or replaces a presence member; notifies every node with join or update. */
  setPresence(topic: string, member: PresenceMember): void | Promise<void>
  /** Removes a presence member; notifies every node with leave if it was there. */
  removePresence(topic: string, connectionId: string): void | Promise<void>
  /** Every member of a topic's presence, across nodes. */
  presence(topic: string): PresenceMember[] | Promise<PresenceMember[]>
  /** Routes a message to every connection of an identity, on every node. */
  sendToIdentity(identityId: string, message: IdentityMessage): void | Promise<void>
  /** Releases timers and connections. */
  close(): void | Promise<void>
}
