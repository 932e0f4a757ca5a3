import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createTestRuntime, openFakeConnection } from '../../test/fake-connection'

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('Connection timers', () => {
  it('sends a heartbeat every heartbeatMs', () => {
    const runtime = createTestRuntime({ heartbeatMs: 1_000, idleTimeoutMs: 60_000 })
    const { sink } = openFakeConnection(runtime)
    vi.advanceTimersByTime(999)
    expect(sink.heartbeats).toBe(0)
    vi.advanceTimersByTime(1)
    expect(sink.heartbeats).toBe(1)
    vi.advanceTimersByTime(3_000)
    expect(sink.heartbeats).toBe(4)
  })

  it('closes with 4408 after idleTimeoutMs without inbound traffic, counted from the last message', () => {
    const runtime = createTestRuntime({ heartbeatMs: 1_000 })
    const { connection, sink } = openFakeConnection(runtime)
    vi.advanceTimersByTime(1_500)
    connection.handleText('{"type":"ping","id":"p"}')
    vi.advanceTimersByTime(1_999)
    expect(sink.closedWith).toBeUndefined()
    connection.touch() // a pong
    vi.advanceTimersByTime(1_999)
    expect(sink.closedWith).toBeUndefined()
    vi.advanceTimersByTime(1)
    expect(sink.closedWith).toEqual({ code: 4408, reason: 'IDLE_TIMEOUT' })
    expect(connection.state).toBe('closing')
  })

  it('never idles out an SSE-style connection (no inbound channel)', () => {
    const runtime = createTestRuntime({ heartbeatMs: 1_000 })
    const { sink } = openFakeConnection(runtime, { idleTimeout: false })
    vi.advanceTimersByTime(10_000)
    expect(sink.closedWith).toBeUndefined()
  })

  it('sends TOKEN_EXPIRED and closes with 4401 when the identity expires', () => {
    const runtime = createTestRuntime({ heartbeatMs: 60_000 })
    const { sink } = openFakeConnection(runtime, { identity: { id: 'u1', expiresAt: Date.now() + 5_000 } })
    expect(sink.frames()[0]).toMatchObject({
      type: 'welcome',
      identity: 'u1',
      expiresAt: 1_005_000,
      expiresIn: 5_000,
    })
    vi.advanceTimersByTime(4_999)
    expect(sink.closedWith).toBeUndefined()
    vi.advanceTimersByTime(1)
    expect(sink.frames().at(-1)).toEqual({
      type: 'error',
      code: 'TOKEN_EXPIRED',
      message: 'the token expired; reconnect with a fresh one',
    })
    expect(sink.closedWith).toEqual({ code: 4401, reason: 'TOKEN_EXPIRED' })
  })

  it('stops every timer once closed', () => {
    const runtime = createTestRuntime({ heartbeatMs: 1_000 })
    const { connection, sink } = openFakeConnection(runtime, {
      identity: { id: 'u1', expiresAt: Date.now() + 5_000 },
    })
    connection.handleClosed(1000, '')
    vi.advanceTimersByTime(10_000)
    expect(sink.heartbeats).toBe(0)
    expect(sink.closedWith).toBeUndefined()
    expect(runtime.registry.size).toBe(0)
  })
})

describe('Connection limits', () => {
  it('answers RATE_LIMITED past the burst, with the wait, and serves again after refill', () => {
    const runtime = createTestRuntime({ rateLimit: { perSecond: 10, burst: 3 } })
    const { connection, sink } = openFakeConnection(runtime)
    connection.handleText(JSON.stringify([1, 2, 3, 4].map((n) => ({ type: 'ping', id: `p${n}` }))))
    expect(sink.frames().slice(1)).toEqual([
      { type: 'pong', id: 'p1' },
      { type: 'pong', id: 'p2' },
      { type: 'pong', id: 'p3' },
      {
        type: 'error',
        id: 'p4',
        code: 'RATE_LIMITED',
        message: 'too many commands; slow down',
        retryAfterMs: 100,
      },
    ])
    vi.advanceTimersByTime(100)
    connection.handleText('{"type":"ping","id":"p5"}')
    expect(sink.frames().at(-1)).toEqual({ type: 'pong', id: 'p5' })
  })

  it('closes a slow consumer with 4507 once its buffer is over maxBufferedBytes', async () => {
    const runtime = createTestRuntime({ maxBufferedBytes: 1_000 })
    const { connection, sink } = openFakeConnection(runtime)
    connection.handleText('{"type":"subscribe","topic":"t"}')
    await vi.waitFor(() => expect(sink.frames().at(-1)?.type).toBe('subscribed'))
    sink.buffered = 1_000
    runtime.publisher.publish('t', { kind: 'created' })
    expect(sink.closedWith).toBeUndefined()
    sink.buffered = 1_001
    runtime.publisher.publish('t', { kind: 'created' })
    expect(sink.closedWith).toEqual({ code: 4507, reason: 'SLOW_CONSUMER' })
    const sentBefore = sink.sent.length
    runtime.publisher.publish('t', { kind: 'created' })
    expect(sink.sent.length).toBe(sentBefore)
  })

  it('judges a replay once at its end, not in the middle', async () => {
    const runtime = createTestRuntime({ maxBufferedBytes: 300 })
    for (let n = 1; n <= 5; n++) runtime.publisher.publish('t', { kind: 'created', key: `k${n}` })
    const epoch = (await runtime.engine.head('t')).epoch
    const { connection, sink } = openFakeConnection(runtime)
    sink.accumulate = true
    connection.handleText(JSON.stringify({ type: 'subscribe', topic: 't', from: { epoch, seq: 0 } }))
    await vi.waitFor(() => expect(sink.closedWith).toEqual({ code: 4507, reason: 'SLOW_CONSUMER' }))
    expect(sink.frames().map((f) => f.type)).toEqual([
      'welcome',
      'subscribed',
      'event',
      'event',
      'event',
      'event',
      'event',
    ])
  })
})
