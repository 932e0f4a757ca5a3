import { describe, expect, test } from 'vitest'
import { advance, record, START, useMockNetwork } from './setup'

const net = useMockNetwork()

// Ceilings min(maxMs, baseMs·factor^attempt): 1000, 3000, 9000, 20000 (capped), 20000.
const backoff = { baseMs: 1000, factor: 3, maxMs: 20_000 }

describe('reconnect backoff', () => {
  test.each([
    [0.5, [500, 1500, 4500, 10_000, 10_000]],
    [0.9, [900, 2700, 8100, 18_000, 18_000]],
  ])(
    'random() = %s gives delays %j: nextRetryAt and attempt are exact, and each retry happens then',
    async (random, delays) => {
      const sluice = net.sluice()
      sluice.answer('ws', 'refuse')
      const client = net.client({ transports: ['ws'], backoff, random: () => random })
      const states = record(client.$connection, (s) =>
        s.status === 'reconnecting' ? { attempt: s.attempt, at: (s.nextRetryAt ?? 0) - START } : null,
      )
      await advance(0)
      expect(sluice.attempts.ws).toBe(1)

      const expected: Array<{ attempt: number; at: number }> = []
      let now = 0
      for (const [index, delay] of delays.entries()) {
        await advance(delay - 1)
        expect(sluice.attempts.ws).toBe(index + 1)
        await advance(1)
        now += delay
        expected.push({ attempt: index + 1, at: now })
        expect(sluice.attempts.ws).toBe(index + 2)
        expect(Date.now() - START).toBe(now)
      }
      expect(states.filter((entry) => entry !== null).slice(0, delays.length)).toEqual(expected)
      expect(client.$connection.get()).toMatchObject({
        status: 'reconnecting',
        attempt: delays.length + 1,
        error: { code: 'NETWORK', closeCode: 1006 },
      })
    },
  )

  test('the attempt counter and the curve start over once a connection opens', async () => {
    const sluice = net.sluice()
    sluice.answer('ws', 'refuse')
    const client = net.client({ transports: ['ws'], backoff })
    await advance(0)
    await advance(500)
    expect(client.$connection.get()).toMatchObject({ attempt: 2, nextRetryAt: START + 2000 })
    sluice.answer('ws', 'welcome')
    await advance(1500)
    expect(client.$connection.get()).toMatchObject({
      status: 'open',
      attempt: 0,
      nextRetryAt: null,
      error: null,
    })
    sluice.last.close(1006)
    await advance(0)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      attempt: 1,
      nextRetryAt: Date.now() + 500,
    })
  })

  test.each(['ws', 'sse'] as const)(
    "a reconnect frame's retryAfterMs is the delay over %s when longer than the backoff, for that retry only",
    async (transport) => {
      const sluice = net.sluice()
      const client = net.client({ transports: [transport], backoff })
      await advance(0)
      sluice.last.send({ type: 'reconnect', reason: 'SHUTTING_DOWN', retryAfterMs: 7000 })
      sluice.last.close(1012, 'SHUTTING_DOWN')
      await advance(0)
      expect(client.$connection.get()).toMatchObject({
        status: 'reconnecting',
        attempt: 1,
        nextRetryAt: START + 7000,
        error:
          transport === 'ws'
            ? { code: 'SHUTTING_DOWN', closeCode: 1012 }
            : { code: 'NETWORK', message: 'SSE stream ended' },
      })
      sluice.answer(transport, 'refuse')
      await advance(6999)
      expect(sluice.attempts[transport]).toBe(1)
      await advance(1)
      expect(sluice.attempts[transport]).toBe(2)
      // The server's hint was spent: the next delay is the curve's (attempt 1: 0.5 × 3000).
      expect(client.$connection.get()).toMatchObject({ attempt: 2, nextRetryAt: START + 7000 + 1500 })
    },
  )

  test('a retryAfterMs shorter than the backoff is a floor, not a replacement', async () => {
    const sluice = net.sluice()
    const client = net.client({ transports: ['ws'], backoff })
    await advance(0)
    sluice.last.send({ type: 'reconnect', reason: 'SHUTTING_DOWN', retryAfterMs: 100 })
    sluice.last.close(1012, 'SHUTTING_DOWN')
    await advance(0)
    expect(client.$connection.get()).toMatchObject({ attempt: 1, nextRetryAt: START + 500 })
  })

  test('an SSE connect refused with 503 OVERLOADED waits the retryAfterMs of the error body', async () => {
    const sluice = net.sluice()
    sluice.answer('sse', {
      status: 503,
      body: { type: 'error', code: 'OVERLOADED', message: 'too many connections', retryAfterMs: 4000 },
    })
    const client = net.client({ transports: ['sse'], backoff })
    await advance(0)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      attempt: 1,
      nextRetryAt: START + 4000,
      error: { code: 'OVERLOADED', message: 'too many connections', retryAfterMs: 4000 },
    })
    sluice.answer('sse', 'welcome')
    await advance(3999)
    expect(sluice.attempts.sse).toBe(1)
    await advance(1)
    expect(sluice.attempts.sse).toBe(2)
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: 'sse', attempt: 0 })
  })
})
