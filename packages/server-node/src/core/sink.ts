import {
  encodeStreamCursor,
  formatPosition,
  formatSseComment,
  formatSseEvent,
  type Position,
  type ServerFrame,
} from '@sluice/protocol'
import type { SharedFrame } from './shared-frame'

/**
 * The one thing the core knows about a socket. Each transport (ws, SSE) implements it; the
 * core never touches a WebSocket or a ServerResponse directly.
 */
export interface Sink {
  readonly transport: 'ws' | 'sse'
  /** Writes an already encoded message. */
  send(payload: string): void
  /** Bytes written but not yet handed to the kernel: the slow-consumer measure. */
  bufferedBytes(): number
  /** Sends the transport's liveness signal. */
  heartbeat(): void
  /** Ends the connection: a WebSocket close with code and reason, or the end of the SSE stream. */
  close(code: number, reason: string): void
  /** Cuts the connection at once (shutdown past its drain timeout). */
  terminate(): void
}

/** Turns frames into a transport's messages. */
export interface FrameWriter {
  frame(frame: ServerFrame): string
  shared(frame: SharedFrame): string
  /** Records where the client stands on a topic when no frame says it (a replay starting below `subscribed`). */
  position?(topic: string, position: Position): void
}

/** WebSocket: one JSON text message per frame. */
export const wsWriter: FrameWriter = {
  frame: (frame) => JSON.stringify(frame),
  shared: (frame) => frame.json,
}

/**
 * SSE: every frame is an event named by its type, except `event` frames (default message
 * event) which carry an `id:` so EventSource's Last-Event-ID resumes the stream. The id is
 * `epoch:seq` while the stream has one topic and a cursor of every topic's position once it has
 * more; positions are tracked from the frames written, so it is exactly what this client saw.
 */
export class SseWriter implements FrameWriter {
  readonly #positions = new Map<string, Position>()

  frame(frame: ServerFrame): string {
    this.#track(frame)
    return formatSseEvent({ event: frame.type, data: JSON.stringify(frame) })
  }

  shared(shared: SharedFrame): string {
    const frame = shared.frame
    if (frame.type !== 'event') return shared.sse
    this.#positions.set(frame.topic, { epoch: frame.epoch, seq: frame.seq })
    const id =
      this.#positions.size === 1
        ? formatPosition({ epoch: frame.epoch, seq: frame.seq })
        : encodeStreamCursor(this.#positions)
    return `id: ${id}\n${shared.sse}\n`
  }

  position(topic: string, position: Position): void {
    this.#positions.set(topic, position)
  }

  /** A heartbeat comment. */
  static readonly ping = formatSseComment('ping')

  #track(frame: ServerFrame): void {
    switch (frame.type) {
      case 'subscribed':
      case 'resync':
      case 'snapshot':
        this.#positions.set(frame.topic, { epoch: frame.epoch, seq: frame.seq })
        break
      case 'unsubscribed':
        this.#positions.delete(frame.topic)
        break
      case 'event':
        this.#positions.set(frame.topic, { epoch: frame.epoch, seq: frame.seq })
        break
    }
  }
}
