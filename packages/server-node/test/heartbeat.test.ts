import { encodeSubscriptionsParam } from '@sluice/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { createTestServer, type TestServer } from '../src/testing'
import { ofType, WsPeer } from './helpers'

// The timer logic itself is covered with fake timers in src/core/connection.test.ts; these
// check the real wiring (ws ping frames and protocol pings, pongs, SSE comments) with short
// intervals and a deadline on every wait.

let t: TestServer | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

describe('heartbeats over real sockets', () => {
  it('sends WS ping frames and protocol pings; a peer that answers pings stays, one that does not is closed 4408', async () => {
    t = await createTestServer({ heartbeatMs: 100 })
    const { peer: live } = await WsPeer.open(t.url)
    const silent = await WsPeer.connect(t.url, 'v=1', { autoPong: false })
    let protocolPings = 0
    live.ws.on('ping', () => protocolPings++)
    await live.next(ofType('ping'), 2_000)
    expect(await silent.closed).toEqual({ code: 4408, reason: 'IDLE_TIMEOUT' })
    expect(silent.frames.filter((f) => f.type === 'ping').length).toBeGreaterThanOrEqual(1)
    await live.collect(ofType('ping'), 4, 2_000)
    expect(protocolPings).toBeGreaterThanOrEqual(3)
    expect(live.ws.readyState).toBe(live.ws.OPEN)
    live.ws.terminate()
  })

  it('writes `: ping` comments on SSE', async () => {
    t = await createTestServer({ heartbeatMs: 50 })
    const controller = new AbortController()
    const response = await fetch(
      `${t.url}/sse?v=1&subscriptions=${encodeSubscriptionsParam([{ topic: 'x' }])}`,
      {
        signal: controller.signal,
      },
    )
    const reader = (response.body as ReadableStream<Uint8Array>).getReader()
    const decoder = new TextDecoder()
    let text = ''
    const deadline = Date.now() + 2_000
    while (!text.includes(': ping\n\n') && Date.now() < deadline) {
      const { value, done } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
    controller.abort()
    expect(text.startsWith('retry: 2000\nevent: welcome\ndata: {"type":"welcome"')).toBe(true)
    expect(text).toContain('\n\n: ping\n\n')
  })
})

describe('metrics', () => {
  it('serves Prometheus text at /metrics when enabled, 404 otherwise', async () => {
    t = await createTestServer({ metrics: true })
    const { peer } = await WsPeer.open(t.url)
    peer.send({ type: 'subscribe', topic: 'm' })
    await peer.next(ofType('subscribed'))
    await t.server.publish('m', { kind: 'created' })
    await peer.next(ofType('event'))
    const origin = t.url.replace('/realtime', '')
    const response = await fetch(`${origin}/metrics`)
    expect(response.status).toBe(200)
    const text = await response.text()
    expect(text).toMatch(/^sluice_connections(\{[^}]*\})? 1$/m)
    expect(text).toMatch(/^sluice_events_published_total(\{[^}]*\})? 1$/m)
    expect(text).toMatch(/^sluice_deliveries_total(\{[^}]*\})? 1$/m)
    peer.ws.terminate()
    await t.close()
    t = await createTestServer()
    expect((await fetch(`${t.url.replace('/realtime', '')}/metrics`)).status).toBe(404)
  })
})
