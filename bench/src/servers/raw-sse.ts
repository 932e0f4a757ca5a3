import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { peerEventFrame } from '../lib/payload.ts'
import type { TargetServer } from './target-server.ts'

/**
 * Baseline: node:http holding event streams open and writing one pre-built SSE frame, encoded
 * to bytes once, to each (a string would be re-encoded per stream).
 */
export async function startRawSse(): Promise<TargetServer> {
  const streams = new Set<ServerResponse>()
  const http = createServer((req, res) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    })
    // A comment first so the client sees the stream open once the server has registered it.
    res.write(': ok\n\n')
    streams.add(res)
    req.on('close', () => streams.delete(res))
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  return {
    port: (http.address() as AddressInfo).port,
    publish(i, sentAt) {
      const frame = Buffer.from(`data: ${JSON.stringify(peerEventFrame(i, sentAt))}\n\n`)
      for (const stream of streams) stream.write(frame)
    },
    subscriberCount: () => streams.size,
    close: () => new Promise((resolve) => http.close(() => resolve())),
  }
}
