import { encodeMessage, formatSseEvent, type ServerFrame } from '@sluice/protocol'

/**
 * A frame bound for many connections (an event, a presence change). Each encoding is built at
 * most once, on first use, and shared by every subscriber: fan-out to N WebSocket subscribers
 * costs one JSON.stringify and one UTF-8 encoding, not N.
 */
export class SharedFrame<F extends ServerFrame = ServerFrame> {
  #json: string | undefined
  #bytes: Buffer | undefined
  #sse: string | undefined

  constructor(readonly frame: F) {}

  /** The frame as a WebSocket text message. */
  get json(): string {
    this.#json ??= encodeMessage(this.frame)
    return this.#json
  }

  /**
   * The WebSocket message as UTF-8 bytes. Handing ws a string would make it encode the text
   * again for every subscriber; the same Buffer goes out to all of them instead.
   */
  get bytes(): Buffer {
    this.#bytes ??= Buffer.from(this.json, 'utf8')
    return this.#bytes
  }

  /**
   * The frame as SSE lines. For `event` frames only the `data:` line: the `id:` line differs per
   * stream (it carries that stream's cursor) and the stream writer puts it in front. For any
   * other frame the complete event.
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
}
