/**
 * HTTP answers of a closing server hang up (`connection: close`): clients that keep retrying
 * over a kept-alive socket (SSE connects refused with 503, command POSTs, publishes) would
 * otherwise keep that socket busy, and the embedding http server's close() — the CLI's drain on
 * SIGTERM — would wait on it until its deadline. Found by the chaos restart scenario.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, it } from 'vitest'
import { createSluiceServer } from '../src/server'

let http: Server | undefined
afterEach(async () => {
  http?.closeAllConnections()
  await new Promise((resolve) => http?.close(resolve) ?? resolve(undefined))
  http = undefined
})

it('answers with connection: close once closing, and with keep-alive before', async () => {
  const sluice = createSluiceServer({ logger: false, publishKeys: ['pk'] })
  http = createServer((req, res) => sluice.handler(req, res))
  sluice.attach(http)
  await new Promise<void>((resolve) => http?.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`

  const before = await fetch(`${base}/healthz`)
  expect([before.status, before.headers.get('connection')]).toEqual([200, 'keep-alive'])
  await before.text()

  await sluice.close()
  const health = await fetch(`${base}/healthz`)
  expect([health.status, health.headers.get('connection'), await health.json()]).toEqual([
    503,
    'close',
    { status: 'shutting_down' },
  ])
  const connect = await fetch(`${base}/realtime/sse?v=1`)
  expect([connect.status, connect.headers.get('connection')]).toEqual([503, 'close'])
  expect(await connect.json()).toMatchObject({ type: 'error', code: 'SHUTTING_DOWN' })
})
