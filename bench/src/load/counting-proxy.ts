import type { AddressInfo } from 'node:net'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { wallClockMs } from '../lib/clock.ts'

/**
 * A TCP proxy on 127.0.0.1 that counts the bytes the server sends to each client connection
 * and can cut the network: `drop()` destroys every open connection (both ends see the TCP
 * connection die, as on a lost network) and refuses new ones until `restore()`. Working at the
 * TCP level makes the byte counts comparable between libraries and transports.
 */
export class CountingProxy {
  readonly #server: Server
  readonly #targetPort: number
  readonly #open = new Set<Socket>()
  #refusing = false
  /** Per accepted connection, in accept order: when it was accepted and bytes sent downstream. */
  readonly connections: { acceptedAt: number; bytesDown: number }[] = []

  constructor(targetPort: number) {
    this.#targetPort = targetPort
    this.#server = createServer((client) => this.#accept(client))
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    return (this.#server.address() as AddressInfo).port
  }

  #accept(client: Socket): void {
    if (this.#refusing) {
      client.destroy()
      return
    }
    const record = { acceptedAt: wallClockMs(), bytesDown: 0 }
    this.connections.push(record)
    const upstream = connect(this.#targetPort, '127.0.0.1')
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    upstream.on('data', (chunk: Buffer) => {
      record.bytesDown += chunk.length
      client.write(chunk)
    })
    client.on('data', (chunk: Buffer) => upstream.write(chunk))
    const close = () => {
      client.destroy()
      upstream.destroy()
      this.#open.delete(client)
      this.#open.delete(upstream)
    }
    client.on('close', close)
    upstream.on('close', close)
    client.on('error', close)
    upstream.on('error', close)
    this.#open.add(client)
    this.#open.add(upstream)
  }

  drop(): void {
    this.#refusing = true
    for (const socket of this.#open) socket.destroy()
    this.#open.clear()
  }

  restore(): void {
    this.#refusing = false
  }

  close(): void {
    this.drop()
    this.#server.close()
  }
}
