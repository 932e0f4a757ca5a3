import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import { peerEventFrame } from '../lib/payload.ts'
import type { TargetServer } from './target-server.ts'

/**
 * Baseline: a bare `ws` server that serializes each event once, to UTF-8 bytes, and sends that
 * Buffer to every socket as a text message. (Handing ws a string would make it re-encode the
 * text for every socket: avoidable work a floor must not carry.)
 */
export async function startRawWs(): Promise<TargetServer> {
  const http = createServer((_req, res) => res.writeHead(404).end())
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false })
  const clients = new Set<WebSocket>()
  wss.on('connection', (socket) => {
    clients.add(socket)
    socket.on('close', () => clients.delete(socket))
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  return {
    port: (http.address() as AddressInfo).port,
    publish(i, sentAt) {
      const frame = Buffer.from(JSON.stringify(peerEventFrame(i, sentAt)))
      for (const client of clients)
        if (client.readyState === WebSocket.OPEN) client.send(frame, { binary: false })
    },
    subscriberCount: () => clients.size,
    close: () => new Promise((resolve) => http.close(() => resolve())),
  }
}
