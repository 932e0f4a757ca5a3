import type { Runtime } from '../core/runtime'
import { SseWriter } from '../core/sink'
import type { FetchReply } from '../http/fetch-reply'
import type { FetchRequest } from '../http/fetch-request'
import { admitSseStream, createSseConnection, SSE_HEADERS, SseSink } from './sse-stream'

const encoder = new TextEncoder()
const PING = encoder.encode(SseWriter.ping)

/**
 * The SSE sink of a web-standard `Response` body: a ReadableStream the host pulls from. The sink
 * keeps what the host has not asked for yet in a queue of its own (a high-water mark of 0: the
 * host's read is what pulls), so the bytes waiting are known exactly — the slow-consumer measure
 * (bufferedBytes) and the stall check read them — and can be dropped: a slow consumer is cut by
 * dropping its queue and closing the stream, not by erroring it (hosts log an errored body as an
 * unhandled error). Shared frames go out as the very Buffer every stream shares: a default (not
 * byte) stream hands chunks over by reference and never detaches them.
 *
 * The stream ends once: closed by the server (`close`, `terminate`), cancelled by the host when
 * the client left, or with the request's signal aborted. The connection is told a microtask
 * later, so a close decided in the middle of a fan-out does not release subscriptions while the
 * hub is still walking them (on node:http the socket's close event is later still).
 */
class WebSseSink extends SseSink {
  readonly stream: ReadableStream<Uint8Array>
  #controller!: ReadableStreamDefaultController<Uint8Array>
  #open = true
  // Chunks the host has not asked for, and their bytes; allocated on first use, since a stream
  // whose host keeps reading hands every chunk to a waiting read.
  #queue: Uint8Array[] | undefined
  #queuedBytes = 0
  // The host asked for a chunk and there was none: the next one goes straight to it.
  #pulling = false
  #written = 0

  constructor() {
    super()
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller
        },
        pull: () => this.#pull(),
        cancel: () => {
          this.#drop()
          this.#end()
        },
      },
      { highWaterMark: 0, size: (chunk) => chunk.byteLength },
    )
  }

  send(payload: string | Buffer): void {
    this.#write(typeof payload === 'string' ? encoder.encode(payload) : payload)
  }

  #write(bytes: Uint8Array): void {
    if (!this.#open) return
    this.#written += bytes.byteLength
    if (this.#pulling) {
      this.#pulling = false
      this.#controller.enqueue(bytes)
      return
    }
    this.#queue ??= []
    this.#queue.push(bytes)
    this.#queuedBytes += bytes.byteLength
  }

  // The host reads: everything queued moves to the stream (one read takes the first chunk).
  #pull(): void {
    if (this.#queue === undefined) this.#pulling = true
    else this.#flush()
  }

  #flush(): void {
    const queue = this.#queue
    if (queue === undefined) return
    this.#drop()
    for (const bytes of queue) this.#controller.enqueue(bytes)
  }

  #drop(): void {
    this.#queue = undefined
    this.#queuedBytes = 0
  }

  bufferedBytes(): number {
    // Plus what moved to the stream at the last read and is not read yet (its size is negative).
    const size = this.#controller.desiredSize
    return this.#queuedBytes + (size === null || size >= 0 ? 0 : -size)
  }

  protected ping(): void {
    this.#write(PING)
  }

  protected waitingBytes(): number {
    return this.bufferedBytes()
  }

  protected takenBytes(waiting: number): number {
    return this.#written - waiting
  }

  close(code: number, reason: string): void {
    this.ended = { code, reason }
    if (!this.#open) return
    // A slow consumer's queue would only grow while waiting to drain; it goes. Otherwise the
    // last frames (a `reconnect`, an error) still reach the host before the end.
    if (reason === 'SLOW_CONSUMER') this.#drop()
    else this.#flush()
    this.#controller.close()
    this.#end()
  }

  terminate(): void {
    this.#cut()
  }

  /** The request was aborted (the client left): the host may never read or cancel the body. */
  abort(): void {
    this.#cut()
  }

  #cut(): void {
    if (!this.#open) return
    this.#drop()
    this.#controller.close()
    this.#end()
  }

  // The connection learns it once, with the server's code and reason, else 1001 (the client left).
  #end(): void {
    if (!this.#open) return
    this.#open = false
    const { code, reason } = this.ended ?? { code: 1001, reason: '' }
    queueMicrotask(() => {
      const connection = this.connection
      if (connection === undefined) return
      try {
        connection.handleClosed(code, reason)
      } catch (error) {
        connection.runtime.report(error, { operation: 'close', connectionId: connection.id })
      }
    })
  }
}

/**
 * Opens an SSE stream (`GET <basePath>/sse`) for `sluice.fetch`: the same connect checks, frames
 * and ids as on node:http (transports/sse.ts), answered with a `Response` whose body is the stream.
 */
export async function openWebSseStream(
  runtime: Runtime,
  request: FetchRequest,
  reply: FetchReply,
  url: URL,
): Promise<void> {
  const admission = await admitSseStream(runtime, request, reply, url)
  if (admission === null) return
  if (request.gone) {
    // Nobody reads this answer; the host needs one all the same.
    reply.writeHead(204)
    reply.end()
    return
  }
  const sink = new WebSseSink()
  const connection = createSseConnection(runtime, admission, sink, {
    chunked: false,
    remoteAddress: request.remoteAddress,
  })
  request.request.signal.addEventListener('abort', () => sink.abort(), { once: true })
  reply.stream(200, SSE_HEADERS, sink.stream)
  connection.start(admission.subscriptions)
}
