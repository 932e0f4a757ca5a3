// `sluice.fetch` served by Bun.serve and Deno.serve, each runtime's binary from the npm
// registry (the `bun` and `deno` devDependencies), in a child process (test/runtimes/serve.ts).
// The real client connects over 127.0.0.1 with each transport — SSE through the fetch handler's
// streams and command POSTs, WebSocket through the runtime's own upgrade (bunWebSocket on Bun,
// Deno.upgradeWebSocket on Deno) — and the answers, refusals and connection counts are checked
// as a client and an operator see them.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createClient, custom, type SluiceClient } from '@sluice/client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { until } from '../../client/test/integration/harness'
import { runtimeBinary } from './runtimes/binaries'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const START_TIMEOUT_MS = 30_000

/** How each runtime runs the fixture from the package directory (Deno: TypeScript sources, @sluice/protocol mapped to its sources too). */
const COMMANDS = {
  bun: () => [runtimeBinary('bun'), 'run', 'test/runtimes/serve.ts'],
  deno: () => [
    runtimeBinary('deno'),
    'run',
    '--allow-net=127.0.0.1',
    '--allow-env',
    '--allow-sys',
    '--config',
    'test/runtimes/deno.json',
    'test/runtimes/serve.ts',
  ],
} as const

interface Served {
  url: string
  child: ChildProcess
  /** What the child wrote to stderr, for failure messages. */
  stderr: () => string
}

function serve(runtime: keyof typeof COMMANDS): Promise<Served> {
  const [command, ...args] = COMMANDS[runtime]() as [string, ...string[]]
  const child = spawn(command, args, { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${runtime} did not listen in ${START_TIMEOUT_MS} ms; stderr: ${stderr}`))
    }, START_TIMEOUT_MS)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${runtime} exited with ${code} before listening; stderr: ${stderr}`))
    })
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const line = stdout.split('\n')[0] as string
      if (!stdout.includes('\n')) return
      clearTimeout(timer)
      const { port } = JSON.parse(line) as { port: number }
      resolve({ url: `http://127.0.0.1:${port}/realtime`, child, stderr: () => stderr })
    })
  })
}

async function stop(served: Served | undefined): Promise<number | null> {
  if (served === undefined || served.child.exitCode !== null) return served?.child.exitCode ?? null
  const exited = new Promise<number | null>((resolve) => served.child.once('exit', (code) => resolve(code)))
  served.child.kill('SIGTERM')
  return exited
}

const numbers = () => custom<number[]>((seen, event) => [...seen, event.data as number], [])

/** The server's /status, read with the admin key. */
async function status(
  served: Served,
): Promise<{ connections: number; transports: { ws: number; sse: number } }> {
  const response = await fetch(`${served.url}/status`, { headers: { authorization: 'Bearer admin-key' } })
  expect(response.status).toBe(200)
  return (await response.json()) as { connections: number; transports: { ws: number; sse: number } }
}

/** Polls /status until `predicate` holds; fails with the last answer after `timeoutMs`. */
async function statusUntil(
  served: Served,
  predicate: (s: Awaited<ReturnType<typeof status>>) => boolean,
  what: string,
  timeoutMs = 5_000,
) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const current = await status(served)
    if (predicate(current)) return current
    if (Date.now() > deadline) throw new Error(`${what}: /status is ${JSON.stringify(current)}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe.each(['bun', 'deno'] as const)('sluice.fetch on %s', (runtime) => {
  let served: Served | undefined
  const clients: SluiceClient[] = []
  beforeAll(async () => {
    served = await serve(runtime)
  }, START_TIMEOUT_MS + 5_000)
  afterEach(() => {
    for (const client of clients.splice(0)) client.close()
  })
  afterAll(async () => {
    expect(await stop(served)).toBe(0)
  })

  const connect = (transport: 'ws' | 'sse') => {
    const client = createClient({
      url: (served as Served).url,
      WebSocket,
      transports: [transport],
      backoff: { baseMs: 10, factor: 2, maxMs: 50 },
    })
    clients.push(client)
    return client
  }

  it.each(['sse', 'ws'] as const)(
    'the real client over %s: subscribe, publish from the client and over HTTP, call, in order',
    async (transport) => {
      const server = served as Served
      const topic = `chat-${transport}`
      const client = connect(transport)
      const subscription = client.subscribe(topic, { merge: numbers() })
      await until(subscription.$state, (s) => s.status === 'live', `live over ${transport}`)
      expect(
        await statusUntil(server, (s) => s.transports[transport] === 1, `one ${transport} connection`),
      ).toMatchObject({
        connections: 1,
      })
      const first = await client.publish(topic, { kind: 'created', data: 1 }, { id: 'p1' })
      expect(first).toEqual({ epoch: expect.any(String), seq: 1, duplicate: false })
      expect(await client.publish(topic, { kind: 'created', data: 1 }, { id: 'p1' })).toEqual({
        ...first,
        duplicate: true,
      })
      const http = await fetch(`${server.url}/publish`, {
        method: 'POST',
        headers: { authorization: 'Bearer publish-key', 'content-type': 'application/json' },
        body: JSON.stringify({ topic, kind: 'created', data: 2 }),
      })
      expect([http.status, await http.json()]).toEqual([
        200,
        { epoch: first.epoch, seq: 2, duplicate: false },
      ])
      await client.publish(topic, { kind: 'created', data: 3 })
      await until(subscription.$state, (s) => s.data.length === 3, 'three events')
      expect(subscription.$state.get().data).toEqual([1, 2, 3])
      expect(await client.call('add', { a: 2, b: 40 })).toBe(42)

      client.close()
      await statusUntil(server, (s) => s.connections === 0, 'the connection released after the client closed')
    },
  )

  it('answers refusals with their codes, on the stream endpoint and on the upgrade', async () => {
    const server = served as Served
    const noVersion = await fetch(`${server.url}/sse`)
    expect([noVersion.status, await noVersion.json()]).toEqual([
      400,
      {
        type: 'error',
        code: 'PROTOCOL_VERSION',
        message: 'the v query parameter is required (this server speaks protocol 1)',
      },
    ])
    const upgrade = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws?v=2`)
      ws.once('open', () => reject(new Error('the upgrade with v=2 was accepted')))
      ws.once('unexpected-response', (_req, res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString()
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      ws.once('error', () => {})
    })
    expect([upgrade.status, JSON.parse(upgrade.body)]).toEqual([
      400,
      {
        type: 'error',
        code: 'PROTOCOL_VERSION',
        message: 'protocol version "2" is not supported (this server speaks 1)',
      },
    ])
    const status = await fetch(`${server.url}/status`)
    expect(status.status).toBe(401)
    await status.body?.cancel()
  })

  it('releases a stream whose client went away without a word', async () => {
    const server = served as Served
    const controller = new AbortController()
    const response = await fetch(`${server.url}/sse?v=1`, { signal: controller.signal })
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const { value } = await reader.read()
    expect(new TextDecoder().decode(value)).toMatch(/^retry: 2000\nevent: welcome\n/)
    expect((await status(server)).transports.sse).toBe(1)
    controller.abort()
    await statusUntil(server, (s) => s.connections === 0, 'the stream released after the client left')
  })
})
