import { connect, createServer, type Socket } from 'node:net'

/**
 * A TCP proxy in front of one port that can silence a connection without closing it (bytes from
 * the server stop reaching the client, as on a half-dead link or a stuck middlebox: nothing tells
 * the client, only a probe can notice), or move to another port, as a managed Redis endpoint does
 * on failover.
 */
export interface TcpProxy {
  readonly port: number
  /** Connections accepted so far, in order. */
  readonly accepted: number
  /** Stops forwarding server → client bytes of the n-th connection (0-based), keeping it open. */
  silence(index: number): void
  /** Sends new connections to another port (a failover behind one endpoint) and cuts the open ones. */
  retarget(port: number): void
  close(): Promise<void>
}

export async function startTcpProxy(initialTarget: number): Promise<TcpProxy> {
  let target = initialTarget
  const pairs: Array<{ client: Socket; upstream: Socket; silenced: boolean }> = []
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1')
    const pair = { client, upstream, silenced: false }
    pairs.push(pair)
    client.on('data', (chunk) => upstream.write(chunk))
    upstream.on('data', (chunk) => {
      if (!pair.silenced) client.write(chunk)
    })
    const end = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('close', end)
    upstream.on('close', end)
    client.on('error', end)
    upstream.on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    get accepted() {
      return pairs.length
    },
    retarget(port) {
      target = port
      for (const { client, upstream } of pairs) {
        client.destroy()
        upstream.destroy()
      }
    },
    silence(index) {
      const pair = pairs[index]
      if (!pair) throw new Error(`no connection ${index} (accepted ${pairs.length})`)
      pair.silenced = true
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
