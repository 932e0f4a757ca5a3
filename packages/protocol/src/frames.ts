import type { ValidationIssue, WireErrorCode } from './errors'
import type { Filter } from './filter'
import type { Position } from './position'

/** Any JSON value. Event data, metadata, call arguments and results are JSON. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** A JSON object, as event metadata and presence state are. */
export type JsonObject = { [key: string]: Json }

/**
 * What happened to the entity an event is about. Merge strategies read it: `crud` applies
 * created/updated/deleted by `key`, `set` replaces, `presence` applies join/leave.
 * Any other lowercase word is allowed and passed through to custom reducers.
 */
export type EventKind = 'created' | 'updated' | 'deleted' | 'set' | 'join' | 'leave' | (string & {})

/** When the server should send a `snapshot` frame for a subscription. */
export type SnapshotMode = 'never' | 'always' | 'resync'

// ---------------------------------------------------------------------------
// Client to server
// ---------------------------------------------------------------------------

/** Subscribe to a topic, optionally filtered, resumed from a position, or with a snapshot. */
export interface SubscribeFrame {
  type: 'subscribe'
  /** Command id echoed by `subscribed` or `error`. */
  id?: string
  topic: string
  filter?: Filter
  /** The last position the client applied; the server replays every event after it. */
  from?: Position
  /** @default 'never' */
  snapshot?: SnapshotMode
  /** Receive the topic's presence: a `sync` then join/update/leave frames. @default false */
  presence?: boolean
  /**
   * On a fresh subscribe, deliver the last `rewind` events of the log before live ones (at most
   * `MAX_REWIND`); not with `from` or `snapshot: 'always'`. @default 0
   */
  rewind?: number
}

export interface UnsubscribeFrame {
  type: 'unsubscribe'
  id?: string
  topic: string
}

/** Publish one event to a topic. `id` is chosen by the client and makes a retry idempotent. */
export interface PublishFrame {
  type: 'publish'
  id: string
  topic: string
  kind: EventKind
  key?: string
  data?: Json
  meta?: JsonObject
  /**
   * `false`: the event is not delivered to the publishing connection (live, nor in a replay on
   * it); every other subscriber gets it and the `ack` still comes. @default true
   */
  echo?: boolean
}

/** Call a server procedure; answered by `result` or `error` with the same id. */
export interface CallFrame {
  type: 'call'
  id: string
  name: string
  args?: Json
}

/** Hand a fresh token to an open connection before the old one expires. */
export interface AuthFrame {
  type: 'auth'
  id: string
  token: string
}

/** Set (or clear, with `state: null`) this connection's presence state on a topic. */
export interface SetPresenceFrame {
  type: 'setPresence'
  id?: string
  topic: string
  state: JsonObject | null
}

/**
 * Asks for a page of a topic's log older than the client holds: the events with
 * `seq < before.seq` of `before.epoch`, at most `limit` log positions back. Answered by a
 * {@link HistoryPageFrame} or an `error`.
 */
export interface HistoryFrame {
  type: 'history'
  id: string
  topic: string
  /** The oldest position the client holds (exclusive): the page ends just before it. */
  before: Position
  /** Log positions the page covers, 1 to `MAX_HISTORY_PAGE`. @default 50 */
  limit?: number
}

/** Liveness probe; the server answers `pong` with the same id. */
export interface ClientPingFrame {
  type: 'ping'
  id?: string
}

export type ClientFrame =
  | SubscribeFrame
  | UnsubscribeFrame
  | PublishFrame
  | CallFrame
  | AuthFrame
  | SetPresenceFrame
  | HistoryFrame
  | ClientPingFrame

export type ClientFrameType = ClientFrame['type']

// ---------------------------------------------------------------------------
// Server to client
// ---------------------------------------------------------------------------

/** The limits a server enforces, announced in `welcome`. */
export interface Limits {
  /** Largest frame (or batch) the server accepts, in UTF-8 bytes. */
  maxFrameBytes: number
  /** Most topics one connection may be subscribed to at once. */
  maxSubscriptions: number
  /** Longest topic name, in characters. */
  maxTopicLength: number
  /** Most frames in one batch. */
  maxBatch: number
}

/** The first frame on every connection. */
export interface WelcomeFrame {
  type: 'welcome'
  protocol: number
  connectionId: string
  /** The server sends something at least this often; silence for twice as long means dead. */
  heartbeatMs: number
  limits: Limits
  /** SSE only: the secret that binds command POSTs to this stream. */
  commandKey?: string
  /** The authenticated identity's id, or null for anonymous connections. */
  identity: string | null
  /** When the connection's credentials expire (ms since the Unix epoch, server clock), if they do. */
  expiresAt?: number
  /** Milliseconds from sending this frame until `expiresAt`: schedule by this, it ignores clock skew. */
  expiresIn?: number
}

export interface SubscribedFrame {
  type: 'subscribed'
  id?: string
  topic: string
  /** The topic log's epoch and head when the subscription took effect. */
  epoch: string
  seq: number
  /**
   * Set when a `resync` frame of this topic follows in this flow, to its reason, so a client
   * knows the subscription is not live yet without waiting to see.
   */
  resync?: ResyncReason
  /** True when a `snapshot` frame of this topic follows in this flow, so a client knows to wait for it. */
  snapshot?: boolean
  /**
   * Answering a subscribe with `rewind`: the number of log positions replayed, the events
   * `seq - rewind < seq' <= seq`. Less than asked when the log held fewer.
   */
  rewind?: number
}

export interface UnsubscribedFrame {
  type: 'unsubscribed'
  id?: string
  topic: string
  /** Set when the server ended the subscription itself (e.g. FORBIDDEN after re-auth). */
  reason?: WireErrorCode
}

/** One event of a topic's log. Serialized once per event and shared by every subscriber. */
export interface EventFrame {
  type: 'event'
  topic: string
  epoch: string
  seq: number
  kind: EventKind
  key?: string
  data?: Json
  meta?: JsonObject
  /** Server time of the publish, ms since the Unix epoch. */
  ts: number
  /** The publish frame's id, so the publisher can match its optimistic update. */
  publishId?: string
}

/** The topic's state as of `epoch`/`seq`; only events after `seq` follow. */
export interface SnapshotFrame {
  type: 'snapshot'
  topic: string
  epoch: string
  seq: number
  data: Json
}

export type ResyncReason = 'too_old' | 'epoch_changed' | 'ahead'

/** The server cannot replay from the requested position; live events follow after `seq`. */
export interface ResyncFrame {
  type: 'resync'
  topic: string
  reason: ResyncReason
  epoch: string
  seq: number
}

export interface PresenceMember {
  connectionId: string
  identity: string | null
  state?: JsonObject
}

export type PresenceFrame =
  | { type: 'presence'; topic: string; action: 'sync'; members: PresenceMember[] }
  | { type: 'presence'; topic: string; action: 'join' | 'update' | 'leave'; member: PresenceMember }

/** A successful answer to `publish`, `auth` or `setPresence`. */
export interface AckFrame {
  type: 'ack'
  id: string
  /** publish: where the event landed in the log. */
  topic?: string
  epoch?: string
  seq?: number
  /** publish: this id was seen before; nothing was published again. */
  duplicate?: boolean
  /** auth: when the new credentials expire. */
  expiresAt?: number
  /** auth: milliseconds from sending this frame until `expiresAt`. */
  expiresIn?: number
}

export interface ResultFrame {
  type: 'result'
  id: string
  result?: Json
}

export interface ErrorFrame {
  type: 'error'
  /** The command id this answers, absent for connection-level errors. */
  id?: string
  code: WireErrorCode
  message: string
  topic?: string
  field?: string
  issues?: ValidationIssue[]
  retryAfterMs?: number
}

export interface ServerPingFrame {
  type: 'ping'
}

export interface PongFrame {
  type: 'pong'
  id?: string
}

/** Why a `history` answer has no more pages: the log's start, or why the log cannot be read back. */
export type HistoryEnd = 'log_start' | ResyncReason

/** The answer to a `history` command: one page of the log, oldest first. */
export interface HistoryPageFrame {
  type: 'history'
  id: string
  topic: string
  /** The log's epoch. */
  epoch: string
  /** The page's events in seq order, through the connection's filter for the topic. */
  events: EventFrame[]
  /** True when the log holds older events: ask again with `before: { epoch, seq: next }`. */
  hasMore: boolean
  /** The `before.seq` of the next page; set exactly when `hasMore`. */
  next?: number
  /** Set exactly when `hasMore` is false: why nothing older comes. */
  end?: HistoryEnd
}

/** The server is going away; reconnect (and resume) after `retryAfterMs`. */
export interface ReconnectFrame {
  type: 'reconnect'
  reason: WireErrorCode
  retryAfterMs: number
}

/**
 * An application message to one connection (usually every connection of an identity). Not a
 * topic event: no position, not stored, not replayed, not deduplicated.
 */
export interface SignalFrame {
  type: 'signal'
  /** What the signal means to the app; the characters of a topic name, at most 128 of them. */
  name: string
  data?: Json
}

export type ServerFrame =
  | WelcomeFrame
  | SubscribedFrame
  | UnsubscribedFrame
  | EventFrame
  | SnapshotFrame
  | ResyncFrame
  | PresenceFrame
  | AckFrame
  | ResultFrame
  | ErrorFrame
  | ServerPingFrame
  | PongFrame
  | ReconnectFrame
  | HistoryPageFrame
  | SignalFrame

export type ServerFrameType = ServerFrame['type']
