import { connect, createServer, type Socket } from 'node:net'

/**
 * A TCP proxy in front of one port that can freeze a connection: from then on it forwards no
 * byte in either direction and reads none, while both sockets stay open. The server's side then
 * looks like a peer that vanished without FIN or RST (a laptop that slept, a NAT entry dropped):
 * nothing arrives from it and what is written to it is never read. Unlike a real vanished peer,
 * the proxy's own kernel still acknowledges what fits in its receive buffer, so the server's
 * writes succeed until both kernels' buffers are full.
 */
export interface FreezeProxy {
  readonly port: number
  /** Connections accepted so far. */
  readonly accepted: number
  /** Freezes the n-th accepted connection (0-based), keeping both of its sockets open. */
  freeze(index: number): void
  close(): Promise<void>
}

interface Pair {
  client: Socket
  upstream: Socket
  frozen: boolean
}

/** Starts a {@link FreezeProxy} on 127.0.0.1 in front of `targetPort`. */
export async function startFreezeProxy(targetPort: number): Promise<FreezeProxy> {
  const pairs: Pair[] = []
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    const pair: Pair = { client, upstream, frozen: false }
    pairs.push(pair)
    client.on('data', (chunk) => {
      if (!pair.frozen) upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      if (!pair.frozen) client.write(chunk)
    })
    // A frozen pair must not pass a close on either: the point is that nothing tells the server.
    upstream.on('close', () => {
      if (!pair.frozen) client.destroy()
    })
    client.on('close', () => {
      if (!pair.frozen) upstream.destroy()
    })
    client.on('error', () => {})
    upstream.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const pairAt = (index: number): Pair => {
    const pair = pairs[index]
    if (!pair) throw new Error(`freeze proxy: no connection ${index} (accepted ${pairs.length})`)
    return pair
  }
  return {
    port: (server.address() as { port: number }).port,
    get accepted() {
      return pairs.length
    },
    freeze(index) {
      const pair = pairAt(index)
      pair.frozen = true
      // Paused sockets stop reading, so the server's writes pile up in the kernels' buffers
      // instead of being read and dropped: the server can only ever see them stop draining.
      pair.client.pause()
      pair.upstream.pause()
    },
    async close() {
      for (const { client, upstream } of pairs) {
        client.destroy()
        upstream.destroy()
      }
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
