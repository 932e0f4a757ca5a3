import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'
import { peerEventFrame, TOPIC } from '../lib/payload.ts'
import type { TargetServer } from './target-server.ts'

/**
 * Socket.IO 4.8 as its docs recommend for fan-out: sockets join a room, the server emits to
 * the room. Connection-state recovery is off by default (as in Socket.IO) because it changes
 * every broadcast packet (an offset is appended and the packet kept for replay); the resume
 * scenario turns it on.
 */
export async function startSocketIo(options: { recovery?: boolean } = {}): Promise<TargetServer> {
  const http = createServer()
  const io = new Server(http, {
    serveClient: false,
    ...(options.recovery && {
      connectionStateRecovery: { maxDisconnectionDuration: 120_000, skipMiddlewares: true },
    }),
  })
  io.on('connection', (socket) => {
    socket.join(TOPIC)
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  return {
    port: (http.address() as AddressInfo).port,
    publish(i, sentAt) {
      io.to(TOPIC).emit('event', peerEventFrame(i, sentAt))
    },
    subscriberCount: () => io.sockets.adapter.rooms.get(TOPIC)?.size ?? 0,
    close: () => new Promise((resolve) => io.close(() => resolve())),
  }
}
