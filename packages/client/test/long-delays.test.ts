/**
 * Delays longer than setTimeout can hold, on the in-process fake server. Browsers and Node run
 * a timer whose delay exceeds 2^31-1 ms (about 24.8 days) after 1 ms instead (Node also prints
 * a TimeoutOverflowWarning), and vitest's fake timers reproduce that. The client's timer
 * provider waits such delays out in steps; these tests keep it from handing them to setTimeout
 * whole again.
 */
import type { ClientFrame } from '@sluice/protocol'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { advance, setup, useFakeTime } from './helpers'

beforeEach(useFakeTime)
afterEach(() => {
  vi.useRealTimers()
})

const DAY = 86_400_000
const auths = (frames: ClientFrame[]) => frames.filter((frame) => frame.type === 'auth')

describe('delays beyond 2^31-1 ms', () => {
  test('a token valid for 30 days is not refreshed within its first second (no auth loop)', async () => {
    const expiresAt = Date.now() + 30 * DAY
    let n = 0
    const getToken = vi.fn(async () => `t${++n}`)
    const { server, client } = setup({ getToken }, { welcome: { heartbeatMs: 1_000_000, expiresAt } })
    server.onFrame((frame, connection) => {
      if (frame.type === 'auth') connection.send({ type: 'ack', id: frame.id, expiresAt })
    })
    // Handed to setTimeout whole, the ~30-day refresh timer fires after 1 ms, the ack re-arms
    // it, and so on: one getToken() and one auth frame per millisecond.
    await advance(1000)
    expect(auths(server.last.frames)).toEqual([])
    expect(getToken).toHaveBeenCalledTimes(1)
    client.close()
  })

  test('a token valid for 30 days is refreshed 30 s before it expires, once', async () => {
    const expiresAt = Date.now() + 30 * DAY
    let n = 0
    const { server, client } = setup(
      { getToken: async () => `t${++n}` },
      { welcome: { heartbeatMs: 0, expiresAt } },
    )
    server.onFrame((frame, connection) => {
      if (frame.type === 'auth')
        connection.send({ type: 'ack', id: frame.id, expiresAt: expiresAt + 30 * DAY })
    })
    await advance(30 * DAY - 30_001)
    expect(auths(server.last.frames)).toEqual([])
    await advance(1)
    expect(auths(server.last.frames)).toEqual([{ type: 'auth', id: expect.any(String), token: 't2' }])
    client.close()
  })

  test('an offlineQueue.maxAgeMs of 30 days does not turn a queued publish STALE at once', async () => {
    const { server, client } = setup({ offlineQueue: { maxAgeMs: 30 * DAY } })
    await advance(0)
    server.setOnline(false)
    let error: unknown = null
    client.publish('t', { kind: 'x' }, { id: 'p' }).catch((e: unknown) => {
      error = e
    })
    await advance(60_000)
    expect(error).toBeNull()
    client.close()
  })

  test('an offlineQueue.maxAgeMs of Infinity keeps a queued publish until the connection is back', async () => {
    const { server, client } = setup({
      offlineQueue: { maxAgeMs: Number.POSITIVE_INFINITY },
      publishTimeoutMs: Number.POSITIVE_INFINITY,
    })
    server.onFrame((frame, connection) => {
      if (frame.type === 'publish')
        connection.send({ type: 'ack', id: frame.id, topic: 't', epoch: 'e', seq: 1 })
    })
    await advance(0)
    server.setOnline(false)
    const result = client.publish('t', { kind: 'x' }, { id: 'p' })
    await advance(100 * DAY)
    server.setOnline(true)
    await advance(0)
    await expect(result).resolves.toEqual({ epoch: 'e', seq: 1, duplicate: false })
    client.close()
  })
})
