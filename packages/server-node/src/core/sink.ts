import {
  encodeStreamCursor,
  formatPosition,
  formatSseComment,
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
  /**
   * Writes one message. A string is the message's text, which the transport frames. A Buffer is
   * a message already in the transport's wire form (a complete WebSocket frame, complete SSE
   * lines), usually shared by many connections: it is written as it is.
   */
  send(payload: string | Buffer): void
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
  /** Several frames as one message, so the client handles them in one go (WebSocket: a batch). */
  frames(frames: readonly ServerFrame[]): string
  /** A shared frame: a Buffer in wire form where every connection writes the same bytes. */
  shared(frame: SharedFrame): string | Buffer
  /** Announces that the next `subscribed` of the topic is where the client's state stands (nothing follows it). */
  position?(topic: string, position: Position): void
}

/** WebSocket: one JSON text message per frame; shared frames as ready-made WebSocket frames. */
export const wsWriter: FrameWriter = {
  frame: (frame) => JSON.stringify(frame),
  frames: (frames) => (frames.length === 1 ? JSON.stringify(frames[0]) : JSON.stringify(frames)),
  shared: (frame) => frame.wsFrame,
}

/**
 * SSE: every frame is an event named by its type, except `event` frames (default message
 * event). The `id:` that EventSource sends back as Last-Event-ID is only ever a position the
 * client's state really reflects: on `event` and `snapshot` frames, and on `subscribed` only when
 * the flow announced it (a fresh subscription without snapshot: nothing else follows). Never on
 * `resync`, nor on a `subscribed` that a replay, resync or snapshot follows: resuming from there
 * would skip what the stream had not delivered yet. The id is `epoch:seq` while the stream's only
 * subscription is the single entry of its `?subscriptions=`, else a cursor of every topic's
 * position (PROTOCOL.md § Server-Sent Events). The first frame (welcome) carries `retry:`.
 */
export class SseWriter implements FrameWriter {
  // Both allocated on first use, like everything an idle connection may never need.
  #positions: Map<string, Position> | undefined
  // Topics whose next `subscribed` frame carries the announced position as its id.
  #announced: Set<string> | undefined
  readonly #urlTopic: string | undefined
  readonly #chunked: boolean
  #retry: number | undefined
  #viaCommands = false

  /**
   * @param options.chunked shared frames as HTTP/1.1 body chunks (for a sink that writes them to
   *   the socket of a chunked response itself); text frames are always plain SSE text
   */
  constructor(options: { retryMs: number; urlTopics: readonly string[]; chunked?: boolean }) {
    this.#retry = options.retryMs
    this.#urlTopic = options.urlTopics.length === 1 ? options.urlTopics[0] : undefined
    this.#chunked = options.chunked === true
  }

  /** A subscription was added or replaced through the command channel: ids become cursors from now on. */
  markCommandSubscriptions(): void {
    this.#viaCommands = true
  }

  /** SSE has no batches: consecutive events written in one chunk, which a reader parses in one go. */
  frames(frames: readonly ServerFrame[]): string {
    let text = ''
    for (const frame of frames) text += this.frame(frame)
    return text
  }

  frame(frame: ServerFrame): string {
    let id: string | undefined
    switch (frame.type) {
      case 'subscribed':
        if (this.#announced?.delete(frame.topic)) id = this.#id()
        break
      case 'snapshot':
        this.#positions ??= new Map()
        this.#positions.set(frame.topic, { epoch: frame.epoch, seq: frame.seq })
        id = this.#id()
        break
      case 'unsubscribed':
        this.#positions?.delete(frame.topic)
        break
    }
    const retry = this.#retry
    this.#retry = undefined
    // What formatSseEvent writes, without its line splitting and sanitizing: the type is a
    // protocol constant, ids are positions or base64url cursors, and JSON.stringify never
    // emits a raw newline. (Every connect sends a few of these; the garbage adds up.)
    let text = retry === undefined ? '' : `retry: ${Math.max(0, Math.floor(retry))}\n`
    text += `event: ${frame.type}\n`
    if (id !== undefined) text += `id: ${id}\n`
    return `${text}data: ${JSON.stringify(frame)}\n\n`
  }

  shared(shared: SharedFrame): string | Buffer {
    const frame = shared.frame
    if (frame.type !== 'event') return this.#chunked ? shared.sseChunk : shared.sseBytes
    this.#positions ??= new Map()
    const positions = this.#positions
    // The frame is a position itself: remembering it allocates nothing per delivery.
    positions.set(frame.topic, frame)
    // The common stream, one topic named in the URL: its id is the event's own position, so
    // every such stream writes the same bytes.
    if (!this.#viaCommands && positions.size === 1 && frame.topic === this.#urlTopic) {
      return this.#chunked ? shared.sseChunk : shared.sseBytes
    }
    return `id: ${this.#id()}\n${shared.sse}\n`
  }

  position(topic: string, position: Position): void {
    this.#positions ??= new Map()
    this.#positions.set(topic, position)
    this.#announced ??= new Set()
    this.#announced.add(topic)
  }

  #id(): string | undefined {
    const positions = this.#positions
    if (positions === undefined || positions.size === 0) return undefined
    if (!this.#viaCommands && positions.size === 1 && this.#urlTopic !== undefined) {
      const position = positions.get(this.#urlTopic)
      if (position) return formatPosition(position)
    }
    return encodeStreamCursor(positions)
  }

  /** A heartbeat comment. */
  static readonly ping = formatSseComment('ping')
}
