import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type {
  EventKind,
  Json,
  JsonObject,
  PresenceMember,
  ServerFrame,
  WireErrorCode,
} from '@sluice/protocol'
import type { ConnectionInfo } from './options'

/** An event as the app publishes it; the server adds topic, epoch, seq and ts. */
export interface PublishInput {
  kind: EventKind
  key?: string
  data?: Json
  meta?: JsonObject
}

export interface PublishOptions {
  /**
   * Publishes with the same key within `coalesceMs` collapse into the last one: only it is
   * appended, and the earlier calls resolve to null. For high-rate state (cursors, progress).
   */
  coalesceKey?: string
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
  /** Starts an own http server (attach + handler). @param port default 0 (any free port) @param host default '127.0.0.1' */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>
  /**
   * Appends an event to a topic's log and delivers it to every subscriber.
   * @returns where it landed, or null when a later publish with the same coalesceKey replaced it
   */
  publish(
    topic: string,
    event: PublishInput,
    options?: PublishOptions,
  ): Promise<{ epoch: string; seq: number } | null>
  /**
   * Sends a frame to every connection of an identity (on every node, through the engine).
   * @returns the number of connections of this node it reached
   */
  sendTo(identityId: string, frame: ServerFrame): Promise<number>
  /**
   * Sends an application message (a `signal` frame) to every connection of an identity, on
   * every node. Not a topic event: not stored, not replayed, so a connection that is not open
   * now never sees it. Clients receive it with `client.onSignal(name, handler)`.
   *
   * @example
   * await sluice.signal('user-1', 'invoice.ready', { invoiceId: 'in_42' })
   * @param name the characters of a topic name, at most 128 (`invoice.ready`, `billing/plan-changed`)
   * @param data any JSON value, or nothing
   * @returns the number of connections of this node it reached (other nodes' are not counted)
   * @throws ServerError BAD_REQUEST for a bad name or data that is not JSON, LIMIT_EXCEEDED for a name over 128 characters
   */
  signal(identityId: string, name: string, data?: Json): Promise<number>
  /** Closes every connection of an identity with an error frame and the code's close code. @returns connections closed on this node */
  closeByIdentity(identityId: string, reason?: WireErrorCode, message?: string): Promise<number>
  /** The topic's presence members. */
  presence(topic: string): Promise<PresenceMember[]>
  stats(): ServerStats
  connections(): ConnectionInfo[]
  /** Tells every client to reconnect later, closes connections (1012 / end of stream), waits for them to drain. */
  close(options?: CloseOptions): Promise<void>
}
