import { connect, createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP load balancer for tests: each new connection goes to the next backend in turn, so a
 * client that reconnects lands on another node, and an SSE stream and its command POSTs often
 * reach different nodes (no stickiness). `drop()` cuts every connection, as a network fault would.
 */
export interface LoadBalancer {
  readonly port: number
  /** The realtime URL through the balancer. */
  readonly url: string
  /** Cuts every open connection; returns how many there were. */
  drop(): number
  /** Replaces the backends' ports (a node died, or a new one joined). */
  setBackends(ports: number[]): void
  /** How many connections went to each backend port. */
  readonly routed: Map<number, number>
  close(): Promise<void>
}

export async function startLoadBalancer(backends: number[], basePath = '/realtime'): Promise<LoadBalancer> {
  let ports = [...backends]
  let next = 0
  const sockets = new Set<Socket>()
  const routed = new Map<number, number>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
  }
  const server: Server = createServer((client) => {
    track(client)
    const port = ports[next++ % ports.length] as number
    routed.set(port, (routed.get(port) ?? 0) + 1)
    const upstream = connect(port, '127.0.0.1')
    track(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    port,
    url: `http://127.0.0.1:${port}${basePath}`,
    routed,
    drop() {
      const count = sockets.size
      for (const socket of sockets) socket.destroy()
      return count
    },
    setBackends(list) {
      ports = [...list]
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
