/**
 * Delays longer than setTimeout can hold. Browsers and Node run a timer whose delay exceeds
 * 2^31-1 ms (about 24.8 days) after 1 ms instead (Node also prints a TimeoutOverflowWarning),
 * and vitest's fake timers reproduce that. The client's timer provider waits such delays out
 * in steps; these tests keep it from handing them to setTimeout whole again.
 */
import { describe, expect, test, vi } from 'vitest'
import { advance, rejection, START, useMockNetwork } from './setup'
import { switchableNetwork } from './switchable-network'

const net = useMockNetwork()
const DAY = 86_400_000

describe('delays beyond 2^31-1 ms', () => {
  test('a token valid for 30 days is not refreshed within its first second (no auth loop)', async () => {
    const expiresAt = START + 30 * DAY
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000, expiresAt } })
    sluice.onFrame((frame, connection) => {
      if (frame.type === 'auth') connection.send({ type: 'ack', id: frame.id, expiresAt })
    })
    let n = 0
    const getToken = vi.fn(async () => `t${++n}`)
    net.client({ getToken })
    // Handed to setTimeout whole, the ~30-day refresh timer fires after 1 ms, the ack re-arms
    // it, and so on: one getToken() and one auth frame per millisecond.
    await advance(1000)
    expect(sluice.last.frames.filter((frame) => frame.type === 'auth')).toEqual([])
    expect(getToken).toHaveBeenCalledTimes(1)
  })

  test('an offlineQueue.maxAgeMs of 30 days does not turn a queued publish STALE at once', async () => {
    net.sluice()
    const network = switchableNetwork()
    const client = net.client({ environment: network.environment, offlineQueue: { maxAgeMs: 30 * DAY } })
    await advance(0)
    network.set(false)
    let error: unknown = null
    void rejection(client.publish('t', { kind: 'x' }, { id: 'p' })).then((e) => {
      error = e
    })
    await advance(60_000)
    expect(error).toBeNull()
  })

  test('a token valid for 30 days is refreshed 30 s before it expires, once', async () => {
    const expiresAt = START + 30 * DAY
    const sluice = net.sluice({ welcome: { heartbeatMs: 0, expiresAt } })
    sluice.onFrame((frame, connection) => {
      if (frame.type === 'auth')
        connection.send({ type: 'ack', id: frame.id, expiresAt: expiresAt + 30 * DAY })
    })
    let n = 0
    net.client({ getToken: async () => `t${++n}` })
    await advance(30 * DAY - 30_001)
    expect(sluice.last.frames.filter((frame) => frame.type === 'auth')).toEqual([])
    await advance(1)
    expect(sluice.last.frames.filter((frame) => frame.type === 'auth')).toEqual([
      { type: 'auth', id: expect.any(String), token: 't2' },
    ])
  })

  test('an offlineQueue.maxAgeMs of Infinity keeps a queued publish until the connection is back', async () => {
    const sluice = net.sluice()
    sluice.onFrame((frame, connection) => {
      if (frame.type === 'publish')
        connection.send({ type: 'ack', id: frame.id, topic: 't', epoch: 'e', seq: 1 })
    })
    const network = switchableNetwork()
    const client = net.client({
      environment: network.environment,
      offlineQueue: { maxAgeMs: Number.POSITIVE_INFINITY },
      publishTimeoutMs: Number.POSITIVE_INFINITY,
    })
    await advance(0)
    network.set(false)
    const result = client.publish('t', { kind: 'x' }, { id: 'p' })
    await advance(100 * DAY)
    network.set(true)
    await advance(0)
    await expect(result).resolves.toEqual({ epoch: 'e', seq: 1, duplicate: false })
  })
})
