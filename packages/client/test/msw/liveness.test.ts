import { describe, expect, test } from 'vitest'
import { advance, useMockNetwork } from './setup'

const net = useMockNetwork()

describe('liveness', () => {
  test.each(['ws', 'sse'] as const)(
    'heartbeats (%s: ping frames / `: ping` comments) keep a quiet connection open',
    async (transport) => {
      const sluice = net.sluice({ welcome: { heartbeatMs: 10_000 } })
      const client = net.client({ transports: [transport] })
      await advance(0)
      for (let i = 0; i < 6; i++) {
        await advance(9000)
        sluice.last.heartbeat()
      }
      await advance(9000)
      expect(sluice.connections).toHaveLength(1)
      expect(sluice.last.closed).toBe(false)
      expect(client.$connection.get().status).toBe('open')
    },
  )

  // WebSocket only: over SSE the drop aborts the mocked fetch from a timer callback, which
  // trips an assertion inside Node's undici under msw's socket emulation (a test-harness
  // limit, not client behaviour; test/connection.test.ts covers SSE liveness with its fake).
  test('2×heartbeatMs of silence drops the WebSocket on the next 5 s tick', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 10_000 } })
    const client = net.client({ transports: ['ws'] })
    await advance(0)
    const first = sluice.last
    await advance(4000)
    first.heartbeat()
    // Last activity at 4 s; the 5 s tick at 25 s is the first to see over 20 s of silence (21 s).
    await advance(20_999)
    expect(client.$connection.get().status).toBe('open')
    await advance(1)
    expect(first.closed).toBe(true)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      error: { code: 'NETWORK', message: 'no data for 21000 ms' },
    })
  })
})
