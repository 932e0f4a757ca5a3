import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { decodeLastEventId } from '@sluice/protocol'
import { Connection } from '../core/connection'
import type { Runtime } from '../core/runtime'
import { type Sink, SseWriter } from '../core/sink'
import { admit, requestUrl } from '../http/connect'
import { sendThrown } from '../http/respond'

// The heartbeat comment as bytes, shared by every stream.
const PING = Buffer.from(SseWriter.ping, 'utf8')

/** The {@link Sink} of one SSE stream: text and shared Buffers alike are written as they are. */
class SseSink implements Sink {
  readonly transport = 'sse'
  /** How the server ended the stream, if it did. */
  ended: { code: number; reason: string } | undefined

  constructor(readonly res: ServerResponse) {}

  send(payload: string | Buffer): void {
    this.res.write(payload)
  }

  bufferedBytes(): number {
    return this.res.writableLength
  }

  heartbeat(): void {
    this.res.write(PING)
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
): Promise<void> {
  const result = await admit(runtime, req, 'sse')
  if (!result.ok) {
    sendThrown(res, result.error)
    return
  }
  const { admission } = result
  admission.release()
  if (req.destroyed || res.destroyed) return

  const subscriptions = admission.subscriptions
  const url = requestUrl(req)
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

  const sink = new SseSink(res)
  const connection = new Connection({
    runtime,
    writer: new SseWriter({
      retryMs: runtime.options.sseRetryMs,
      urlTopics: subscriptions.map((s) => s.topic),
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
