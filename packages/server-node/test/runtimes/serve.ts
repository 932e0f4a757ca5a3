// A Sluice server on Bun.serve or Deno.serve with `sluice.fetch` (and, on Bun, `bunWebSocket`),
// run by runtimes.test.ts as a child process of either runtime. It prints `{"port":N}` once
// listening and closes the server (streams get `reconnect`) on SIGTERM.
import { bunWebSocket, createSluiceServer } from '../../src/index'

interface BunGlobal {
  serve(options: {
    port: number
    hostname: string
    fetch: (request: Request, server: unknown) => Promise<Response>
    websocket: typeof bunWebSocket
  }): { port: number; stop(force?: boolean): void }
}
interface DenoGlobal {
  serve(
    options: { port: number; hostname: string; onListen(address: { port: number }): void },
    handler: (request: Request, info: unknown) => Promise<Response>,
  ): { shutdown(): Promise<void> }
  addSignalListener(signal: 'SIGTERM', listener: () => void): void
  exit(code: number): never
}
const { Bun, Deno } = globalThis as { Bun?: BunGlobal; Deno?: DenoGlobal }

const sluice = createSluiceServer({
  logger: false,
  publishKeys: ['publish-key'],
  adminKeys: ['admin-key'],
  // The tests publish from clients.
  authorize: () => true,
  procedures: { add: { guard: 'anyone', handler: ({ a, b }: { a: number; b: number }) => a + b } },
})

const ready = (port: number) => console.log(JSON.stringify({ port }))

if (Bun !== undefined) {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: sluice.fetch, websocket: bunWebSocket })
  ready(server.port)
  process.on('SIGTERM', async () => {
    await sluice.close({ retryAfterMs: 0 })
    server.stop(true)
    process.exit(0)
  })
} else if (Deno !== undefined) {
  const server = Deno.serve(
    { port: 0, hostname: '127.0.0.1', onListen: ({ port }) => ready(port) },
    sluice.fetch,
  )
  Deno.addSignalListener('SIGTERM', async () => {
    await sluice.close({ retryAfterMs: 0 })
    await server.shutdown()
    Deno.exit(0)
  })
} else {
  throw new Error('serve.ts runs on Bun or Deno')
}
