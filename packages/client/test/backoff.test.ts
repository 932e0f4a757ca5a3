/**
 * When the client tries again, on the in-process fake server: the full-jitter exponential
 * curve (`backoff` or a custom `retryDelay`), its restart once a connection opens, and the
 * server's hints that set a floor under one retry (a `reconnect` frame's `retryAfterMs`, a
 * refused connect's error body). The curve's arithmetic alone is src/backoff.test.ts.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { record } from './flows'
import { advance, setup, useFakeTime } from './helpers'

beforeEach(useFakeTime)
afterEach(() => {
  vi.useRealTimers()
})

// Ceilings min(maxMs, baseMs·factor^attempt): 1000, 3000, 9000, 20000 (capped), 20000.
const backoff = { baseMs: 1000, factor: 3, maxMs: 20_000 }

describe('the default curve', () => {
  test('waits full-jitter exponential delays (random fixed at 0.5), capped at maxMs', async () => {
    const { server, client } = setup({ transports: ['ws'] })
    server.refuse('ws', 'close')
    await advance(0)
    const expected = [250, 500, 1000, 2000, 4000, 8000, 15_000, 15_000]
    const delays: number[] = []
    for (const delay of expected) {
      const state = client.$connection.get()
      expect(state.status).toBe('reconnecting')
      delays.push((state.nextRetryAt ?? 0) - Date.now())
      const before = server.attempts.ws
      await advance(delay - 1)
      expect(server.attempts.ws).toBe(before)
      await advance(1)
      expect(server.attempts.ws).toBe(before + 1)
    }
    expect(delays).toEqual(expected)
    expect(client.$connection.get()).toMatchObject({
      attempt: 9,
      error: { code: 'NETWORK', closeCode: 1006 },
    })
    client.close()
  })

  test('a custom retryDelay replaces the curve', async () => {
    const retryDelay = vi.fn((attempt: number) => 100 * (attempt + 1))
    const { server, client } = setup({ transports: ['ws'], retryDelay })
    server.refuse('ws', 'close')
    await advance(0)
    await advance(100)
    await advance(200)
    expect(retryDelay.mock.calls).toEqual([[0], [1], [2]])
    expect(server.attempts.ws).toBe(3)
    client.close()
  })
})

describe('the backoff option', () => {
  test.each([
    [0.5, [500, 1500, 4500, 10_000, 10_000]],
    [0.9, [900, 2700, 8100, 18_000, 18_000]],
  ])(
    'random() = %s gives delays %j: nextRetryAt and attempt are exact, and each retry happens then',
    async (random, delays) => {
      const start = Date.now()
      const { server, client } = setup({ transports: ['ws'], backoff, random: () => random })
      server.refuse('ws', 'close')
      const states = record(client.$connection, (s) =>
        s.status === 'reconnecting' ? { attempt: s.attempt, at: (s.nextRetryAt ?? 0) - start } : null,
      )
      await advance(0)
      expect(server.attempts.ws).toBe(1)

      const expected: Array<{ attempt: number; at: number }> = []
      let now = 0
      for (const [index, delay] of delays.entries()) {
        await advance(delay - 1)
        expect(server.attempts.ws).toBe(index + 1)
        await advance(1)
        now += delay
        expected.push({ attempt: index + 1, at: now })
        expect(server.attempts.ws).toBe(index + 2)
        expect(Date.now() - start).toBe(now)
      }
      expect(states.filter((entry) => entry !== null).slice(0, delays.length)).toEqual(expected)
      expect(client.$connection.get()).toMatchObject({
        status: 'reconnecting',
        attempt: delays.length + 1,
        error: { code: 'NETWORK', closeCode: 1006 },
      })
      client.close()
    },
  )

  test('the attempt counter and the curve start over once a connection opens', async () => {
    const start = Date.now()
    const { server, client } = setup({ transports: ['ws'], backoff })
    server.refuse('ws', 'close')
    await advance(0)
    await advance(500)
    expect(client.$connection.get()).toMatchObject({ attempt: 2, nextRetryAt: start + 2000 })
    server.refuse('ws', false)
    await advance(1500)
    expect(client.$connection.get()).toMatchObject({
      status: 'open',
      attempt: 0,
      nextRetryAt: null,
      error: null,
    })
    server.last.close(1006)
    await advance(0)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      attempt: 1,
      nextRetryAt: Date.now() + 500,
    })
    client.close()
  })
})

describe("the server's hints", () => {
  test.each(['ws', 'sse'] as const)(
    "a reconnect frame's retryAfterMs is the delay over %s when longer than the backoff, for that retry only",
    async (transport) => {
      const start = Date.now()
      const { server, client } = setup({ transports: [transport], backoff })
      await advance(0)
      server.last.send({ type: 'reconnect', reason: 'SHUTTING_DOWN', retryAfterMs: 7000 })
      server.last.close(1012, 'SHUTTING_DOWN')
      await advance(0)
      expect(client.$connection.get()).toMatchObject({
        status: 'reconnecting',
        attempt: 1,
        nextRetryAt: start + 7000,
        error:
          transport === 'ws'
            ? { code: 'SHUTTING_DOWN', closeCode: 1012 }
            : { code: 'NETWORK', message: 'SSE stream ended' },
      })
      server.refuse(transport, 'close')
      await advance(6999)
      expect(server.attempts[transport]).toBe(1)
      await advance(1)
      expect(server.attempts[transport]).toBe(2)
      // The server's hint was spent: the next delay is the curve's (attempt 1: 0.5 × 3000).
      expect(client.$connection.get()).toMatchObject({ attempt: 2, nextRetryAt: start + 7000 + 1500 })
      client.close()
    },
  )

  test('a retryAfterMs shorter than the backoff is a floor, not a replacement', async () => {
    const start = Date.now()
    const { server, client } = setup({ transports: ['ws'], backoff })
    await advance(0)
    server.last.send({ type: 'reconnect', reason: 'SHUTTING_DOWN', retryAfterMs: 100 })
    server.last.close(1012, 'SHUTTING_DOWN')
    await advance(0)
    expect(client.$connection.get()).toMatchObject({ attempt: 1, nextRetryAt: start + 500 })
    client.close()
  })

  test('an SSE connect refused with 503 OVERLOADED waits the retryAfterMs of the error body', async () => {
    const start = Date.now()
    const { server, client } = setup({ transports: ['sse'], backoff })
    server.refuse('sse', 'http')
    server.httpRefusal(503, {
      type: 'error',
      code: 'OVERLOADED',
      message: 'too many connections',
      retryAfterMs: 4000,
    })
    await advance(0)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      attempt: 1,
      nextRetryAt: start + 4000,
      error: { code: 'OVERLOADED', message: 'too many connections', retryAfterMs: 4000 },
    })
    server.refuse('sse', false)
    await advance(3999)
    expect(server.attempts.sse).toBe(1)
    await advance(1)
    expect(server.attempts.sse).toBe(2)
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: 'sse', attempt: 0 })
    client.close()
  })
})
