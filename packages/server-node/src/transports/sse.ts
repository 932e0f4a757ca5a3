import { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Runtime } from '../core/runtime'
import { httpChunk } from '../core/shared-frame'
import { SseWriter } from '../core/sink'
import type { NodeRequest } from '../http/node-request'
import { admitSseStream, createSseConnection, SSE_HEADERS, SseSink } from './sse-stream'

export { SSE_STALLED_HEARTBEATS } from './sse-stream'

// The heartbeat comment as bytes, shared by every stream, and as a body chunk.
const PING = Buffer.from(SseWriter.ping, 'utf8')
const PING_CHUNK = httpChunk(PING)

/**
 * The SSE sink of a node:http response. Everything goes through `res.write`, except on the
 * usual HTTP/1.1 chunked response whose socket is its own: there the writer hands over complete
 * body chunks for shared frames (SharedFrame.sseChunk), written to the socket directly (one
 * write of one shared Buffer per delivery instead of res.write's four pieces, cork and tick),
 * and text is framed as a chunk and written the same way. Not through `res.write`: it holds its
 * bytes until the next tick while a socket write goes out at once, so a shared event written
 * right after a `subscribed` (a replay, a presence change) would overtake it.
 */
class NodeSseSink extends SseSink {
  readonly #socket: Socket | null

  /** @param socket the response's socket when shared Buffers come as body chunks, else null */
  constructor(
    readonly res: ServerResponse,
    socket: Socket | null,
  ) {
    super()
    this.#socket = socket
  }

  send(payload: string | Buffer): void {
    const socket = this.#socket
    if (socket === null) this.res.write(payload)
    else if (!this.res.writableEnded && !socket.destroyed) {
      socket.write(typeof payload === 'string' ? httpChunk(Buffer.from(payload, 'utf8')) : payload)
    }
  }

  bufferedBytes(): number {
    return this.res.writableLength
  }

  protected ping(): void {
    this.send(this.#socket === null ? PING : PING_CHUNK)
  }

  protected waitingBytes(): number {
    return this.res.socket?.writableLength ?? 0
  }

  protected takenBytes(waiting: number): number {
    // bytesWritten counts the queued bytes too (and walks them, hence only when some wait).
    return (this.res.socket as Socket).bytesWritten - waiting
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
 * Opens an SSE stream (`GET <basePath>/sse`) on node:http: the connect checks, then `retry:` and
 * `welcome` (with the commandKey that binds command POSTs to this stream), the `?subscriptions=`
 * subscriptions resumed from `Last-Event-ID` (or `?lastEventId=`) when given, and frames until
 * either side ends the stream. (transports/sse-web.ts is the same on a web ReadableStream.)
 */
export async function openSseStream(
  runtime: Runtime,
  request: NodeRequest,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const admission = await admitSseStream(runtime, request, res, url)
  if (admission === null) return
  const { req } = request
  if (req.destroyed || res.destroyed) return

  res.writeHead(200, { ...SSE_HEADERS, connection: 'keep-alive' })
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

  const sink = new NodeSseSink(res, direct)
  const connection = createSseConnection(runtime, admission, sink, {
    chunked: direct !== null,
    remoteAddress: req.socket.remoteAddress,
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
  connection.start(admission.subscriptions)
}
