import { randomBytes } from 'node:crypto'
import { type IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { decodeLastEventId } from '@sluice/protocol'
import { Connection } from '../core/connection'
import type { Runtime } from '../core/runtime'
import { httpChunk } from '../core/shared-frame'
import { type Sink, SseWriter } from '../core/sink'
import { admit, requestUrl } from '../http/connect'
import { sendThrown } from '../http/respond'

// The heartbeat comment as bytes, shared by every stream, and as a body chunk.
const PING = Buffer.from(SseWriter.ping, 'utf8')
const PING_CHUNK = httpChunk(PING)

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
  readonly #socket: Socket | null

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

  heartbeat(): void {
    this.send(this.#socket === null ? PING : PING_CHUNK)
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
    sendThrown(res, result.error)
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
