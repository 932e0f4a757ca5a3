// `sluice.fetch` over real sockets on Node: a node:http server hands each request to it as a
// web-standard Request and pipes the Response back, the way a fetch-style framework on Node
// (Next.js, Hono's node adapter) does. The real client talks SSE to it; the same over Bun and
// Deno, WebSocket included, is in runtimes.test.ts.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { createClient, custom, type SluiceClient } from '@sluice/client'
import { afterEach, describe, expect, it } from 'vitest'
import { until } from '../../client/test/integration/harness'
import type { SluiceServerOptions } from '../src/options'
import { createSluiceServer } from '../src/server'
import type { SluiceServer } from '../src/server-types'

let http: Server | undefined
let sluice: SluiceServer | undefined
const clients: SluiceClient[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  await sluice?.close({ retryAfterMs: 0 })
  http?.closeAllConnections()
  await new Promise((resolve) => (http ? http.close(resolve) : resolve(undefined)))
  http = undefined
  sluice = undefined
})

function requestOf(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value)
    else if (Array.isArray(value)) for (const item of value) headers.append(name, item)
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
  return new Request(`http://${req.headers.host}${req.url}`, {
    method: req.method,
    headers,
    signal,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit)
}

/** A node:http server that serves everything through `sluice.fetch`. */
async function serve(options: SluiceServerOptions): Promise<{ url: string; server: SluiceServer }> {
  const server = createSluiceServer({ logger: false, shutdownTimeoutMs: 1_000, ...options })
  sluice = server
  http = createServer(async (req, res) => {
    const controller = new AbortController()
    res.once('close', () => controller.abort())
    const response = await server.fetch(requestOf(req, controller.signal), {
      remoteAddress: req.socket.remoteAddress,
    })
    res.writeHead(response.status, Object.fromEntries(response.headers))
    if (response.body === null) res.end()
    else Readable.fromWeb(response.body as import('node:stream/web').ReadableStream).pipe(res)
  })
  await new Promise<void>((resolve) => http?.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/realtime`, server }
}

const numbers = () => custom<number[]>((seen, event) => [...seen, event.data as number], [])

describe('sluice.fetch behind node:http', () => {
  it('serves the real client over SSE: subscribe, publishes from the client and over HTTP, a call, in order', async () => {
    const connected: Array<string | undefined> = []
    const { url, server } = await serve({
      authorize: () => true,
      publishKeys: ['publish-key'],
      procedures: { add: { guard: 'anyone', handler: ({ a, b }: { a: number; b: number }) => a + b } },
      onConnect: (info) => void connected.push(info.remoteAddress),
    })
    const client = createClient({ url, transports: ['sse'], backoff: { baseMs: 10, factor: 2, maxMs: 50 } })
    clients.push(client)
    const subscription = client.subscribe('chat', { merge: numbers() })
    await until(subscription.$state, (s) => s.status === 'live', 'live over SSE')
    expect(connected).toEqual(['127.0.0.1'])
    const first = await client.publish('chat', { kind: 'created', data: 1 }, { id: 'p1' })
    expect(first).toEqual({ epoch: expect.any(String), seq: 1, duplicate: false })
    const response = await fetch(`${url}/publish`, {
      method: 'POST',
      headers: { authorization: 'Bearer publish-key', 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'chat', kind: 'created', data: 2 }),
    })
    expect([response.status, await response.json()]).toEqual([
      200,
      { epoch: first.epoch, seq: 2, duplicate: false },
    ])
    await client.publish('chat', { kind: 'created', data: 3 })
    await until(subscription.$state, (s) => s.data.length === 3, 'three events')
    expect(subscription.$state.get().data).toEqual([1, 2, 3])
    expect(await client.call('add', { a: 2, b: 40 })).toBe(42)
    expect(server.stats()).toMatchObject({ connections: 1, transports: { ws: 0, sse: 1 } })
  })

  it('resumes the client from its position after its connection was cut, and releases the old stream', async () => {
    const { url, server } = await serve({ authorize: () => true })
    const client = createClient({ url, transports: ['sse'], backoff: { baseMs: 10, factor: 2, maxMs: 50 } })
    clients.push(client)
    const subscription = client.subscribe('feed', { merge: numbers() })
    await until(subscription.$state, (s) => s.status === 'live', 'live')
    for (let n = 1; n <= 3; n++) await server.publish('feed', { kind: 'created', data: n })
    await until(subscription.$state, (s) => s.data.length === 3, 'the first three')
    const before = server.connections().map((info) => info.id)
    // A network failure as the client sees it; the host aborts the request of the open stream.
    http?.closeAllConnections()
    for (let n = 4; n <= 6; n++) await server.publish('feed', { kind: 'created', data: n })
    await until(subscription.$state, (s) => s.data.length === 6, 'all six after the resume')
    expect(subscription.$state.get().data).toEqual([1, 2, 3, 4, 5, 6])
    const after = server.connections().map((info) => info.id)
    expect(after).toHaveLength(1)
    expect(after).not.toEqual(before)
  })
})
