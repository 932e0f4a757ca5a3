/**
 * The handshake both transports share (src/transport/attempt.ts): the welcome must come first.
 * An error frame in its place is the server's refusal and ends the attempt with that error (no
 * fallback, no waiting for the handshake timeout); any other frame before it is dropped.
 * Boundary tests, on msw's stand-ins for the real globals: the first frames as the default
 * WebSocket and the fetch-read SSE stream deliver them, and a WebSocket constructor that throws.
 */
import type { ServerFrame } from '@sluice/protocol'
import { describe, expect, test } from 'vitest'
import { event, subscribed } from '../flows'
import { advance, START, seqLog, useMockNetwork } from './setup'

const net = useMockNetwork()

describe.each(['ws', 'sse'] as const)('before the welcome over %s', (kind) => {
  test('an error frame in place of the welcome ends the attempt with its code, terminal ones for good', async () => {
    const sluice = net.sluice()
    sluice.answer(kind, 'silent')
    // SSE is reached through the fallback from a refused WebSocket.
    if (kind === 'sse') sluice.answer('ws', 'refuse')
    const client = net.client()
    await advance(0)
    expect(client.$connection.get()).toMatchObject({ status: 'connecting', transport: kind })
    sluice.last.send({ type: 'error', code: 'FORBIDDEN', message: 'not for you' })
    await advance(0)
    expect(client.$connection.get()).toMatchObject({
      status: 'closed',
      transport: null,
      error: { code: 'FORBIDDEN', message: 'not for you' },
    })
    // Not a NETWORK failure: no fallback to another transport, and the wire is released.
    expect(sluice.attempts).toEqual(kind === 'ws' ? { ws: 1, sse: 0 } : { ws: 1, sse: 1 })
    expect(sluice.last.closed).toBe(true)
  })

  test('a retryable error frame in place of the welcome reconnects after its retryAfterMs', async () => {
    const sluice = net.sluice()
    sluice.answer(kind, 'silent')
    const client = net.client({ transports: [kind] })
    await advance(0)
    sluice.last.send({ type: 'error', code: 'OVERLOADED', message: 'busy', retryAfterMs: 4000 })
    await advance(0)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      attempt: 1,
      nextRetryAt: START + 4000,
      error: { code: 'OVERLOADED', message: 'busy', retryAfterMs: 4000 },
    })
    expect(sluice.attempts[kind]).toBe(1)
    sluice.answer(kind, 'welcome')
    await advance(4000)
    expect(sluice.attempts[kind]).toBe(2)
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: kind, error: null })
  })

  test('frames before the welcome are dropped; the welcome still opens the connection', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 0 } })
    sluice.answer(kind, 'silent')
    const client = net.client({ transports: [kind] })
    const todos = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    const early: ServerFrame[] = [subscribed('todos', 0), event('todos', 1)]
    sluice.last.send(early)
    await advance(0)
    expect(client.$connection.get().status).toBe('connecting')
    expect(todos.$state.get()).toMatchObject({ status: 'connecting', data: [] })

    sluice.last.welcome()
    await advance(0)
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: kind })
    expect(sluice.last.frames).toEqual([{ type: 'subscribe', id: expect.any(String), topic: 'todos' }])
    sluice.last.send([subscribed('todos', 1), event('todos', 2)])
    await advance(0)
    expect(todos.$state.get()).toMatchObject({ status: 'live', data: ['e1:2'] })
  })

  test('without a welcome the attempt fails after handshakeTimeoutMs with NETWORK', async () => {
    const sluice = net.sluice()
    sluice.answer(kind, 'silent')
    const client = net.client({ transports: [kind], handshakeTimeoutMs: 3000 })
    await advance(2999)
    expect(client.$connection.get().status).toBe('connecting')
    await advance(1)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      error: { code: 'NETWORK', message: 'no welcome in 3000 ms' },
    })
    expect(sluice.last.closed).toBe(true)
  })
})

// Passes createClient's check of the constructor's shape; throws as `new WebSocket('bad')` does.
class ThrowingWebSocket {
  constructor() {
    throw new TypeError('bad url')
  }
  send() {}
  addEventListener() {}
}

describe('a WebSocket constructor that throws', () => {
  test('fails the attempt with NETWORK and the thrown message, then falls back to SSE', async () => {
    const sluice = net.sluice()
    const client = net.client({ WebSocket: ThrowingWebSocket })
    await advance(0)
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: 'sse' })
    expect(sluice.attempts).toEqual({ ws: 0, sse: 1 })
  })

  test('with WebSocket alone it reconnects with backoff, the error saying why', async () => {
    net.sluice()
    const client = net.client({ WebSocket: ThrowingWebSocket, transports: ['ws'] })
    await advance(0)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      transport: null,
      attempt: 1,
      nextRetryAt: START + 250,
      error: { code: 'NETWORK', message: 'TypeError: bad url' },
    })
  })
})
