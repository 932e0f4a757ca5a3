import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createSluiceServer,
  type HardenOptions,
  hardenHttpServer,
  type SluiceServer,
  type SluiceServerOptions,
} from '@sluice/server-node'

/** A Sluice server embedded in its own node:http server, hardened, on 127.0.0.1. */
export interface HardenedServer {
  sluice: SluiceServer
  http: Server
  port: number
  /** The realtime base URL, e.g. `http://127.0.0.1:50123/realtime`. */
  url: string
  /** Sockets the http server holds now (slowloris ones included: Sluice never sees those). */
  openSockets(): Promise<number>
  /** Resolves once the http server holds `count` sockets; fails after `ms` naming `what`. */
  socketsReach(count: number, ms: number, what: string): Promise<void>
  close(): Promise<void>
}

/**
 * Starts Sluice the way an embedder does (`hardenHttpServer` + `attach` + `handler`), so a test
 * can give the HTTP timeouts budgets of a few hundred ms: Node's timeouts run on real timers
 * inside its HTTP internals, which fake timers do not drive.
 */
export async function startHardenedServer(
  options: SluiceServerOptions,
  harden: HardenOptions,
): Promise<HardenedServer> {
  const sluice = createSluiceServer({ logger: false, shutdownTimeoutMs: 1_000, ...options })
  const http = hardenHttpServer(
    createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => sluice.handler(req, res)),
    harden,
  )
  sluice.attach(http)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const { port } = http.address() as AddressInfo
  const openSockets = () =>
    new Promise<number>((resolve, reject) =>
      http.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    )
  return {
    sluice,
    http,
    port,
    url: `http://127.0.0.1:${port}/realtime`,
    openSockets,
    async socketsReach(count, ms, what) {
      // Polled: a socket the server cut is counted until its close callback ran.
      const deadline = performance.now() + ms
      let last = await openSockets()
      while (last !== count) {
        if (performance.now() > deadline) {
          throw new Error(
            `timed out after ${ms} ms waiting for ${what} (${last} sockets open, want ${count})`,
          )
        }
        await new Promise((resolve) => setTimeout(resolve, 5))
        last = await openSockets()
      }
    },
    async close() {
      await sluice.close({ retryAfterMs: 0 })
      await new Promise<void>((resolve) => {
        http.close(() => resolve())
        http.closeAllConnections()
      })
    },
  }
}
