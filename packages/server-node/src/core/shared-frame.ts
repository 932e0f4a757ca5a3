import { encodeMessage, formatPosition, formatSseEvent, type ServerFrame } from '@sluice/protocol'
import { encodeTextFrame } from './ws-frame'

/**
 * A frame bound for many connections (an event, a presence change). Each encoding is built at
 * most once, on first use, and shared by every subscriber: fan-out to N subscribers costs one
 * JSON.stringify and one Buffer per transport, not N.
 */
export class SharedFrame<F extends ServerFrame = ServerFrame> {
  #json: string | undefined
  #wsFrame: Buffer | undefined
  #sse: string | undefined
  #sseBytes: Buffer | undefined
  #sseChunk: Buffer | undefined

  constructor(readonly frame: F) {}

  /** The frame as JSON text. */
  get json(): string {
    this.#json ??= encodeMessage(this.frame)
    return this.#json
  }

  /**
   * The complete WebSocket text frame (header included). Server frames are unmasked, so these
   * bytes are the same on every socket and go out as they are.
   */
  get wsFrame(): Buffer {
    this.#wsFrame ??= encodeTextFrame(this.json)
    return this.#wsFrame
  }

  /**
   * The frame as SSE lines. For `event` frames only the `data:` line: the `id:` line depends on
   * the stream (a cursor on multi-topic streams) and the stream writer puts it in front. For
   * any other frame the complete event.
   */
  get sse(): string {
    if (this.#sse === undefined) {
      // JSON.stringify never emits a raw newline, so the whole frame fits one data line.
      this.#sse =
        this.frame.type === 'event'
          ? `data: ${this.json}\n`
          : formatSseEvent({ event: this.frame.type, data: this.json })
    }
    return this.#sse
  }

  /**
   * The complete SSE event as bytes, shared by every stream that writes it unchanged: for an
   * `event` frame with the `id: epoch:seq` of a single-topic stream, else {@link sse}.
   */
  get sseBytes(): Buffer {
    if (this.#sseBytes === undefined) {
      const frame = this.frame
      this.#sseBytes = Buffer.from(
        frame.type === 'event' ? `id: ${formatPosition(frame)}\n${this.sse}\n` : this.sse,
        'utf8',
      )
    }
    return this.#sseBytes
  }

  /** {@link sseBytes} as one chunk of a chunked HTTP/1.1 body (see SseWriter's `chunked`). */
  get sseChunk(): Buffer {
    this.#sseChunk ??= httpChunk(this.sseBytes)
    return this.#sseChunk
  }
}

/** Bytes framed as one chunk of an HTTP/1.1 chunked body (RFC 9112 § 7.1): size in hex, CRLF, data, CRLF. */
export function httpChunk(data: Buffer): Buffer {
  const size = `${data.length.toString(16)}\r\n`
  const chunk = Buffer.allocUnsafe(size.length + data.length + 2)
  const offset = chunk.write(size, 0, 'latin1')
  data.copy(chunk, offset)
  chunk.write('\r\n', offset + data.length, 'latin1')
  return chunk
}
