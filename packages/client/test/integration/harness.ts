/**
 * Helpers for tests against the real server: a server on its own node:http instance so a test
 * can cut every TCP connection (a real network failure as the client sees it) and refuse
 * WebSocket upgrades for a while (to force the SSE fallback); the shared awaitable store
 * condition; a seeded random source so a failing run can be replayed.
 */
import { EventEmitter } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createSluiceServer, type SluiceServerOptions } from '@sluice/server-node'

export async function startDroppableServer(options: SluiceServerOptions = {}, port = 0) {
  const sluice = createSluiceServer({ logger: false, shutdownTimeoutMs: 1_000, ...options })
  const sockets = new Set<Socket>()
  let refuseWebSocket = false
  // sluice.attach registers its upgrade listener here; the real server forwards to it unless refusing.
  const upgrades = new EventEmitter()
  sluice.attach(upgrades as unknown as Server)
  const http = createServer((req, res) => sluice.handler(req, res))
  http.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  http.on('upgrade', (req, socket, head) => {
    if (refuseWebSocket) socket.destroy()
    else upgrades.emit('upgrade', req, socket, head)
  })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, '127.0.0.1', () => resolve())
  })
  const address = http.address() as AddressInfo
  return {
    sluice,
    port: address.port,
    url: `http://127.0.0.1:${address.port}/realtime`,
    /** Destroys every open TCP connection; returns how many there were. */
    drop(): number {
      const count = sockets.size
      for (const socket of sockets) socket.destroy()
      return count
    },
    refuseWebSocket(value: boolean) {
      refuseWebSocket = value
    },
    async close() {
      await sluice.close({ retryAfterMs: 0 })
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}

// The repo's shared wait on a store; re-exported because the redis, server-node and postgres
// tests import it from here too.
export { until } from '@sluice/test-support'

/** mulberry32: a small seeded PRNG, so a run's drop pattern can be reproduced from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
