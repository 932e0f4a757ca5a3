/**
 * Falling back from WebSocket to SSE with the client's default transports, on msw's stand-ins
 * for the real globals: a WebSocket refused, closed before its welcome or silent past
 * `handshakeTimeoutMs` hands over to a fetch-read SSE stream and its command POSTs, which is
 * remembered, and a probe moves back. Boundary tests: what the real `WebSocket` and `fetch`
 * report is the subject. What moves with the transport (positions, calls and publishes in
 * flight, failing probes) is behaviour: test/connection.test.ts on the fake server.
 */
import type { EventFrame } from '@sluice/protocol'
import { describe, expect, test, vi } from 'vitest'
import { advance, record, seqLog, useMockNetwork } from './setup'

const net = useMockNetwork()

const ev = (seq: number): EventFrame => ({
  type: 'event',
  topic: 'todos',
  epoch: 'e1',
  seq,
  kind: 'created',
  key: `k${seq}`,
  ts: 0,
})

describe('fallback from WebSocket to SSE', () => {
  test('a WebSocket closed before its welcome falls back to SSE within the same attempt', async () => {
    const sluice = net.sluice()
    sluice.answer('ws', 'refuse')
    const onConnect = vi.fn()
    const client = net.client({ lazy: true, onConnect })
    const states = record(client.$connection, (s) => `${s.status}/${s.transport}/${s.attempt}`)
    client.connect()
    await advance(0)

    expect(sluice.attempts).toEqual({ ws: 1, sse: 1 })
    expect(states).toEqual(['connecting/null/0', 'connecting/ws/0', 'connecting/sse/0', 'open/sse/0'])
    // The id of the SSE stream's welcome: the refused WebSocket never got one.
    expect(client.$connection.get()).toEqual({
      status: 'open',
      transport: 'sse',
      connectionId: onConnect.mock.calls[0]?.[0].welcome.connectionId,
      attempt: 0,
      nextRetryAt: null,
      error: null,
    })
    expect(onConnect.mock.calls.map(([info]) => info.transport)).toEqual(['sse'])
    expect(sluice.last.url.toString()).toBe('http://sluice.test/realtime/sse?v=1')
  })

  test('subscribes over the SSE command channel and applies streamed frames', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    sluice.answer('ws', 'refuse')
    const client = net.client()
    await advance(0)
    const todos = client.subscribe('todos', { merge: seqLog() })
    await advance(0)

    const sse = sluice.last
    expect(sse.kind).toBe('sse')
    expect(sse.frames).toEqual([{ type: 'subscribe', id: expect.any(String), topic: 'todos' }])
    const { id } = sse.frames[0] as { id: string }
    // Welcome, subscribed and events travel as SSE events of one stream (events as `message`).
    sse.send([{ type: 'subscribed', id, topic: 'todos', epoch: 'e1', seq: 0 }, ev(1), ev(2)])
    await advance(0)
    expect(todos.$state.get()).toEqual({
      data: ['e1:1', 'e1:2'],
      status: 'live',
      error: null,
      stale: null,
      position: { epoch: 'e1', seq: 2 },
    })
    expect(client.$connection.get().transport).toBe('sse')
  })

  test('a WebSocket that opens but closes before the welcome falls back too', async () => {
    const sluice = net.sluice()
    sluice.answer('ws', 'silent')
    sluice.onConnection((connection) => {
      if (connection.kind === 'ws') connection.close(1011, '')
    })
    const client = net.client()
    await advance(0)
    expect(sluice.connections.map((c) => `${c.kind}:${c.closed}`)).toEqual(['ws:true', 'sse:false'])
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: 'sse', attempt: 0 })
  })

  test('a WebSocket silent past handshakeTimeoutMs falls back at exactly that time', async () => {
    const sluice = net.sluice()
    sluice.answer('ws', 'silent')
    const client = net.client({ handshakeTimeoutMs: 3000 })
    await advance(2999)
    expect(sluice.attempts).toEqual({ ws: 1, sse: 0 })
    expect(client.$connection.get()).toMatchObject({ status: 'connecting', transport: 'ws' })
    await advance(1)
    expect(sluice.attempts).toEqual({ ws: 1, sse: 1 })
    expect(sluice.connections[0]?.closed).toBe(true)
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: 'sse' })
  })

  test('the fallback is remembered: a reconnect after the SSE stream ends goes straight to SSE', async () => {
    const sluice = net.sluice()
    sluice.answer('ws', 'refuse')
    const client = net.client({ probeIntervalMs: 0 })
    await advance(0)
    sluice.last.close()
    await advance(0)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      attempt: 1,
      nextRetryAt: Date.now() + 250,
      error: { code: 'NETWORK', message: 'SSE stream ended' },
    })
    await advance(250)
    expect(sluice.attempts).toEqual({ ws: 1, sse: 2 })
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: 'sse', attempt: 0 })
  })

  test('after probeIntervalMs on SSE it moves back to WebSocket once that accepts again', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    sluice.answer('ws', 'refuse')
    const client = net.client({ probeIntervalMs: 10_000 })
    await advance(0)
    const sse = sluice.last
    sluice.answer('ws', 'welcome')
    await advance(9999)
    expect(sluice.attempts.ws).toBe(1)
    await advance(1)
    expect(sluice.attempts.ws).toBe(2)
    expect(sluice.last.kind).toBe('ws')
    expect(sse.closed).toBe(true)
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: 'ws', attempt: 0 })
  })
})
