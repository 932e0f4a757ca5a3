import { randomBytes } from 'node:crypto'
import { CloseCode, decodeLastEventId } from '@sluice/protocol'
import { Connection } from '../core/connection'
import type { Runtime } from '../core/runtime'
import { type Sink, SseWriter } from '../core/sink'
import { type Admission, admit } from '../http/connect'
import type { HttpReply, HttpRequest } from '../http/http-request'
import { sendRefusal } from '../http/respond'

/**
 * Heartbeats in a row that find bytes waiting in a stream with none of them taken since the one
 * before; then the stream is given up as stalled (see {@link SseSink.heartbeat}).
 */
export const SSE_STALLED_HEARTBEATS = 2

/** The headers of an SSE stream's 200, on every host. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // nginx buffers proxied answers by default, which would hold events back.
  'x-accel-buffering': 'no',
}

/**
 * The {@link Sink} of one SSE stream, whatever the host: the liveness and stall logic every
 * stream shares. A host's sink (node:http in transports/sse.ts, a web ReadableStream in
 * transports/sse-web.ts) writes the bytes and says how many wait and how many the peer took.
 */
export abstract class SseSink implements Sink {
  readonly transport = 'sse'
  /** How the server ended the stream, if it did. */
  ended: { code: number; reason: string } | undefined
  /**
   * The stream's connection, once it exists: a stalled stream closes it instead of a heartbeat.
   * A field rather than a callback, which would cost every idle stream a closure and its context.
   */
  connection: Connection | undefined
  // The bytes taken by the peer at the last heartbeat, and the heartbeats in a row that found
  // bytes waiting and that count unchanged.
  #takenAtBeat = -1
  #stalledBeats = 0

  abstract send(payload: string | Buffer): void
  abstract bufferedBytes(): number
  abstract close(code: number, reason: string): void
  abstract terminate(): void
  /** Writes the heartbeat comment. */
  protected abstract ping(): void
  /** Bytes written and not yet taken by the peer (by the kernel on node:http, by the host's reader on fetch). */
  protected abstract waitingBytes(): number
  /** Bytes the peer has taken so far; only asked while some wait (counting may cost). */
  protected abstract takenBytes(waiting: number): number

  /**
   * SSE has no inbound channel, and a peer that vanished without FIN or RST (half-open) makes no
   * write fail: the kernel takes heartbeats and events until its buffers are full (on Linux it
   * gives up on unacknowledged bytes only after ~15 minutes of retransmissions). What does show
   * is bytes that stop moving: a stream that had bytes waiting at
   * {@link SSE_STALLED_HEARTBEATS} heartbeats in a row, with none taken in between, is stalled,
   * however few bytes wait (maxBufferedBytes only counts how many).
   */
  heartbeat(): void {
    const connection = this.connection
    if (this.#stalled() && connection !== undefined) {
      connection.runtime.metrics.slowConsumerClosed()
      connection.runtime.logger.warn({ connectionId: connection.id }, 'closing a stalled SSE stream')
      connection.close(CloseCode.SlowConsumer, 'SLOW_CONSUMER')
      return
    }
    this.ping()
  }

  #stalled(): boolean {
    const waiting = this.waitingBytes()
    if (waiting === 0) {
      this.#takenAtBeat = -1
      this.#stalledBeats = 0
      return false
    }
    const taken = this.takenBytes(waiting)
    if (taken !== this.#takenAtBeat) {
      this.#takenAtBeat = taken
      this.#stalledBeats = 0
      return false
    }
    this.#stalledBeats++
    return this.#stalledBeats >= SSE_STALLED_HEARTBEATS
  }
}

/**
 * The connect checks of `GET <basePath>/sse` (http/connect.ts `admit`), answering a refusal
 * itself; then the `?subscriptions=` entries take their positions from `Last-Event-ID` (or
 * `?lastEventId=`). @returns the admission, or null when the request was refused
 */
export async function admitSseStream(
  runtime: Runtime,
  req: HttpRequest,
  res: HttpReply,
  url: URL,
): Promise<Admission | null> {
  const result = await admit(runtime, req, 'sse', url)
  if (!result.ok) {
    sendRefusal(res, { logger: runtime.logger, req, transport: 'sse' }, result.error)
    return null
  }
  const { admission } = result
  // registry.add follows in this tick (the host opens the stream synchronously), so the slot
  // can be freed now: a host that returns early must not leak it.
  admission.release()
  const subscriptions = admission.subscriptions
  // The header wins over the query parameter: EventSource sets it on its own reconnects.
  const lastEventId = req.headers['last-event-id'] ?? url.searchParams.get('lastEventId') ?? undefined
  if (typeof lastEventId === 'string' && lastEventId !== '' && subscriptions.length > 0) {
    // A malformed or foreign id is ignored: the stream starts fresh rather than failing.
    const positions = decodeLastEventId(
      lastEventId,
      subscriptions.map((s) => s.topic),
    )
    if (positions) {
      for (const subscription of subscriptions) {
        const position = positions.get(subscription.topic)
        if (position) subscription.from = position
      }
    }
  }
  return admission
}

/**
 * The connection of an admitted stream on a host's sink, not started yet: the host wires the end
 * of its stream to `connection.handleClosed`, then calls `connection.start(admission.subscriptions)`.
 * @param chunked the sink writes shared frames as HTTP/1.1 body chunks (node:http's direct socket writes)
 */
export function createSseConnection(
  runtime: Runtime,
  admission: Admission,
  sink: SseSink,
  options: { chunked: boolean; remoteAddress: string | undefined },
): Connection {
  const connection = new Connection({
    runtime,
    writer: new SseWriter({
      retryMs: runtime.options.sseRetryMs,
      urlTopics: admission.subscriptions.map((s) => s.topic),
      chunked: options.chunked,
    }),
    identity: admission.identity,
    request: admission.request,
    remoteAddress: options.remoteAddress,
    commandKey: randomBytes(24).toString('base64url'),
    idleTimeout: false,
    sink,
  })
  sink.connection = connection
  return connection
}
