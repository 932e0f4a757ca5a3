import { randomBytes } from 'node:crypto'
import { type IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { CloseCode, decodeLastEventId } from '@sluice/protocol'
import { Connection } from '../core/connection'
import type { Runtime } from '../core/runtime'
import { httpChunk } from '../core/shared-frame'
import { type Sink, SseWriter } from '../core/sink'
import { admit, requestUrl } from '../http/connect'
import { sendRefusal } from '../http/respond'

// The heartbeat comment as bytes, shared by every stream, and as a body chunk.
const PING = Buffer.from(SseWriter.ping, 'utf8')
const PING_CHUNK = httpChunk(PING)

/**
 * Heartbeats in a row that find bytes waiting in a stream's socket with none of them taken by
 * the kernel since the one before; then the stream is given up as stalled (see SseSink.heartbeat).
 */
export const SSE_STALLED_HEARTBEATS = 2

/**
 * The {@link Sink} of one SSE stream. Text goes through `res.write`. Shared Buffers too, except
 * on the usual HTTP/1.1 chunked response whose socket is its own: there the writer hands over
 * complete body chunks (SharedFrame.sseChunk) and they are written to the socket directly,
 * one write of one shared Buffer per delivery instead of res.write's four pieces, cork and
 * tick. Both paths append to the same socket in call order, so frames never reorder.
 */
class SseSink implements Sink {
  readonly transport = 'sse'
  /** How the server ended the stream, if it did. */
  ended: { code: number; reason: string } | undefined
  /** Called instead of a heartbeat once the stream has stalled; set when its connection exists. */
  onStalled: (() => void) | undefined
  readonly #socket: Socket | null
  // The socket's bytes taken by the kernel at the last heartbeat, and the heartbeats in a row
  // that found bytes waiting and that count unchanged.
  #takenAtBeat = -1
  #stalledBeats = 0

  /** @param socket the response's socket when shared Buffers come as body chunks, else null */
  constructor(
    readonly res: ServerResponse,
    socket: Socket | null,
  ) {
    this.#socket = socket
  }

  send(payload: string | Buffer): void {
    const socket = this.#socket
    if (socket === null || typeof payload === 'string') this.res.write(payload)
    else if (!this.res.writableEnded && !socket.destroyed) socket.write(payload)
  }

  bufferedBytes(): number {
    return this.res.writableLength
  }

  /**
   * SSE has no inbound channel, and a peer that vanished without FIN or RST (half-open) makes no
   * write fail: the kernel takes heartbeats and events until its buffers are full (on Linux it
   * gives up on unacknowledged bytes only after ~15 minutes of retransmissions). What does show
   * is bytes that stop moving: a stream whose socket had bytes waiting at
   * {@link SSE_STALLED_HEARTBEATS} heartbeats in a row, with none taken in between, is stalled,
   * however few bytes wait (maxBufferedBytes only counts how many).
   */
  heartbeat(): void {
    if (this.#stalled() && this.onStalled !== undefined) {
      this.onStalled()
      return
    }
    this.send(this.#socket === null ? PING : PING_CHUNK)
  }

  #stalled(): boolean {
    const socket = this.res.socket
    if (socket === null) return false
    const waiting = socket.writableLength
    if (waiting === 0) {
      this.#takenAtBeat = -1
      this.#stalledBeats = 0
      return false
    }
    // bytesWritten counts the queued bytes too (and walks them, hence only when some wait).
    const taken = socket.bytesWritten - waiting
    if (taken !== this.#takenAtBeat) {
      this.#takenAtBeat = taken
      this.#stalledBeats = 0
      return false
    }
    this.#stalledBeats++
    return this.#stalledBeats >= SSE_STALLED_HEARTBEATS
  }

  close(code: number, reason: string): void {
    this.ended = { code, reason }
    // A slow consumer's buffer would only grow while waiting to flush; cut it instead.
    if (reason === 'SLOW_CONSUMER') this.res.destroy()
    else this.res.end()
  }

  terminate(): void {
    this.res.destroy()
  }
}

/**
 * Opens an SSE stream (`GET <basePath>/sse`): the connect checks, then `retry:` and `welcome`
 * (with the commandKey that binds command POSTs to this stream), the `?subscriptions=`
 * subscriptions resumed from `Last-Event-ID` (or `?lastEventId=`) when given, and frames until
 * either side ends the stream.
 */
export async function openSseStream(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL = requestUrl(req),
): Promise<void> {
  const result = await admit(runtime, req, 'sse', url)
  if (!result.ok) {
    sendRefusal(res, { logger: runtime.logger, req, transport: 'sse' }, result.error)
    return
  }
  const { admission } = result
  admission.release()
  if (req.destroyed || res.destroyed) return

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

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
  })
  req.socket.setNoDelay(true)
  // Headers go out now, so that bytes written to the socket directly come after them.
  res.flushHeaders()
  // Writing to the socket directly is only sound on a plain chunked response that owns it: a
  // socket is only assigned to the response being served (a pipelined one waits for it), an
  // HTTP/1.0 client gets no chunked framing, and a middleware that wrapped res.write (gzip
  // compression) or set a content encoding must see every byte. Otherwise all goes through res.write.
  const direct =
    res.chunkedEncoding &&
    res.socket !== null &&
    res.write === ServerResponse.prototype.write &&
    res.getHeader('content-encoding') === undefined
      ? res.socket
      : null

  const sink = new SseSink(res, direct)
  const connection = new Connection({
    runtime,
    writer: new SseWriter({
      retryMs: runtime.options.sseRetryMs,
      urlTopics: subscriptions.map((s) => s.topic),
      chunked: direct !== null,
    }),
    identity: admission.identity,
    request: admission.request,
    remoteAddress: req.socket.remoteAddress,
    commandKey: randomBytes(24).toString('base64url'),
    idleTimeout: false,
    sink,
  })
  sink.onStalled = () => {
    runtime.metrics.slowConsumerClosed()
    runtime.logger.warn({ connectionId: connection.id }, 'closing a stalled SSE stream')
    connection.close(CloseCode.SlowConsumer, 'SLOW_CONSUMER')
  }
  res.on('close', () => {
    try {
      // No close code on SSE: 1001 (going away) when the client left, else what the server chose.
      const { code, reason } = sink.ended ?? { code: 1001, reason: '' }
      connection.handleClosed(code, reason)
    } catch (error) {
      runtime.report(error, { operation: 'close', connectionId: connection.id })
    }
  })
  res.on('error', (error) =>
    runtime.logger.debug({ err: error, connectionId: connection.id }, 'sse stream error'),
  )
  connection.start(subscriptions)
}
