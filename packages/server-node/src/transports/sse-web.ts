import type { Runtime } from '../core/runtime'
import { SseWriter } from '../core/sink'
import type { FetchReply } from '../http/fetch-reply'
import type { FetchRequest } from '../http/fetch-request'
import { admitSseStream, createSseConnection, SSE_HEADERS, SseSink } from './sse-stream'

const encoder = new TextEncoder()
const PING = encoder.encode(SseWriter.ping)

/**
 * The SSE sink of a web-standard `Response` body: a ReadableStream the host reads from. Chunks
 * are queued by byte length with a high-water mark of 0, so the queue's negative `desiredSize`
 * is exactly the bytes the host has not taken yet: the slow-consumer measure (bufferedBytes) and
 * the stall check read it. Shared frames are enqueued as the very Buffer every stream shares: a
 * default (not byte) stream hands chunks over by reference and never detaches them.
 *
 * The stream ends once: closed by the server (`close`, `terminate`), cancelled by the host when
 * the client left, or aborted with the request's signal. `onGone` then tells the connection, a
 * microtask later, so a close decided in the middle of a fan-out does not release subscriptions
 * while the hub is still walking them (on node:http the socket's close event is later still).
 */
class WebSseSink extends SseSink {
  readonly stream: ReadableStream<Uint8Array>
  /** Called once when the stream is over: the server's code and reason, else 1001 (the client left). */
  onGone: ((code: number, reason: string) => void) | undefined
  #controller!: ReadableStreamDefaultController<Uint8Array>
  #open = true
  #enqueued = 0

  constructor() {
    super()
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller
        },
        cancel: () => this.#end(),
      },
      { highWaterMark: 0, size: (chunk) => chunk.byteLength },
    )
  }

  send(payload: string | Buffer): void {
    this.#enqueue(typeof payload === 'string' ? encoder.encode(payload) : payload)
  }

  #enqueue(bytes: Uint8Array): void {
    if (!this.#open) return
    this.#enqueued += bytes.byteLength
    this.#controller.enqueue(bytes)
  }

  bufferedBytes(): number {
    const size = this.#controller.desiredSize
    return size === null || size >= 0 ? 0 : -size
  }

  protected ping(): void {
    this.#enqueue(PING)
  }

  protected waitingBytes(): number {
    return this.bufferedBytes()
  }

  protected takenBytes(waiting: number): number {
    return this.#enqueued - waiting
  }

  close(code: number, reason: string): void {
    this.ended = { code, reason }
    if (!this.#open) return
    // A slow consumer's queue would only grow while waiting to drain; cut it instead.
    if (reason === 'SLOW_CONSUMER') this.#controller.error(new Error(`sluice: ${reason}`))
    else this.#controller.close()
    this.#end()
  }

  terminate(): void {
    if (this.#open) this.#controller.error(new Error('sluice: the stream was terminated'))
    this.#end()
  }

  /** The request was aborted (the client left): the host may never read or cancel the body. */
  abort(): void {
    if (this.#open) this.#controller.error(new Error('sluice: the request was aborted'))
    this.#end()
  }

  #end(): void {
    if (!this.#open) return
    this.#open = false
    const { code, reason } = this.ended ?? { code: 1001, reason: '' }
    queueMicrotask(() => this.onGone?.(code, reason))
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
  sink.onGone = (code, reason) => {
    try {
      connection.handleClosed(code, reason)
    } catch (error) {
      runtime.report(error, { operation: 'close', connectionId: connection.id })
    }
  }
  request.request.signal.addEventListener('abort', () => sink.abort(), { once: true })
  reply.stream(200, SSE_HEADERS, sink.stream)
  connection.start(admission.subscriptions)
}
