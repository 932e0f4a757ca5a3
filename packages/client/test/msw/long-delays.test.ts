/**
 * Delays longer than setTimeout can hold. Browsers and Node run a timer whose delay exceeds
 * 2^31-1 ms (about 24.8 days) after 1 ms instead (Node also prints a TimeoutOverflowWarning),
 * and vitest's fake timers reproduce that. The client hands such delays to its timer provider
 * unclamped, so both tests below are known defects (`test.fails`; see the msw test report).
 */
import { describe, expect, test, vi } from 'vitest'
import { advance, rejection, START, useMockNetwork } from './setup'
import { switchableNetwork } from './switchable-network'

const net = useMockNetwork()
const DAY = 86_400_000

describe('delays beyond 2^31-1 ms', () => {
  test.fails('a token valid for 30 days is not refreshed within its first second (no auth loop)', async () => {
    const expiresAt = START + 30 * DAY
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000, expiresAt } })
    sluice.onFrame((frame, connection) => {
      if (frame.type === 'auth') connection.send({ type: 'ack', id: frame.id, expiresAt })
    })
    let n = 0
    const getToken = vi.fn(async () => `t${++n}`)
    net.client({ getToken })
    // Today: the refresh timer of ~30 days fires after 1 ms, the ack re-arms it, and so on,
    // one getToken() and one auth frame per millisecond.
    await advance(1000)
    expect(sluice.last.frames.filter((frame) => frame.type === 'auth')).toEqual([])
    expect(getToken).toHaveBeenCalledTimes(1)
  })

  test.fails('an offlineQueue.maxAgeMs of 30 days does not turn a queued publish STALE at once', async () => {
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
})
