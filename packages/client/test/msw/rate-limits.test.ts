/**
 * Server hints about when to come back: a `reconnect` frame or a connect-time rejection sets
 * the floor of the reconnect it precedes, and nothing else does. RATE_LIMITED answers to
 * fire-and-forget commands (setPresence, unsubscribe) are matched by id and the command is
 * sent again after `retryAfterMs` instead of being lost.
 */
import { latest } from '@sluice/client'
import type { ClientFrame } from '@sluice/protocol'
import { describe, expect, test } from 'vitest'
import { subscribed } from '../flows'
import { advance, START, useMockNetwork } from './setup'

const net = useMockNetwork()
const MINUTE = 60_000
const rateLimited = (id: string | undefined) => ({
  type: 'error' as const,
  ...(id !== undefined && { id }),
  code: 'RATE_LIMITED' as const,
  message: 'slow down',
  retryAfterMs: 30_000,
})
const ofType = (frames: ClientFrame[], type: ClientFrame['type']) => frames.filter((f) => f.type === type)
/** The n-th sent frame of a type; these commands always carry an id. */
const nth = (frames: ClientFrame[], type: ClientFrame['type'], n: number) => {
  const frame = ofType(frames, type)[n]
  if (!frame) throw new Error(`no ${type} frame #${n}`)
  return frame as ClientFrame & { id: string }
}

describe('reconnect hints', () => {
  test('a RATE_LIMITED error without id does not delay a reconnect that happens later', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 0 } })
    const client = net.client({ transports: ['ws'] })
    await advance(0)
    sluice.last.send(rateLimited(undefined))
    await advance(10 * MINUTE)
    sluice.last.close(1006)
    await advance(0)
    // The curve's delay for attempt 0 (0.5 × 500), not the 30 s of the rate limit.
    expect(client.$connection.get()).toMatchObject({ status: 'reconnecting', nextRetryAt: Date.now() + 250 })
    await advance(250)
    expect(client.$connection.get().status).toBe('open')
  })

  test("a reconnect frame's hint expires: a drop after its retryAfterMs has passed waits only the backoff", async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 0 } })
    const client = net.client({ transports: ['ws'] })
    await advance(0)
    sluice.last.send({ type: 'reconnect', reason: 'SHUTTING_DOWN', retryAfterMs: 7000 })
    await advance(7001)
    sluice.last.close(1006)
    await advance(0)
    expect(client.$connection.get()).toMatchObject({ nextRetryAt: START + 7001 + 250 })
  })

  test('a drop while the hint runs waits what is left of it', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 0 } })
    const client = net.client({ transports: ['ws'] })
    await advance(0)
    sluice.last.send({ type: 'reconnect', reason: 'SHUTTING_DOWN', retryAfterMs: 7000 })
    await advance(2000)
    sluice.last.close(1012, 'SHUTTING_DOWN')
    await advance(0)
    expect(client.$connection.get()).toMatchObject({ nextRetryAt: START + 7000 })
  })
})

describe('rate-limited fire-and-forget commands', () => {
  test('a rate-limited setPresence is sent again after retryAfterMs, with the latest state', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 0 } })
    const client = net.client({ transports: ['ws'] })
    client.subscribe('room', { merge: latest({ size: 1 }) })
    await advance(0)
    sluice.last.send(subscribed('room', 0))
    client.setPresence('room', { typing: true })
    await advance(0)
    const first = nth(sluice.last.frames, 'setPresence', 0)
    expect(first).toEqual({
      type: 'setPresence',
      id: expect.any(String),
      topic: 'room',
      state: { typing: true },
    })
    sluice.last.send(rateLimited(first.id))
    await advance(29_999)
    expect(ofType(sluice.last.frames, 'setPresence')).toHaveLength(1)
    await advance(1)
    const frames = ofType(sluice.last.frames, 'setPresence')
    expect(frames).toEqual([
      first,
      { type: 'setPresence', id: expect.any(String), topic: 'room', state: { typing: true } },
    ])
    expect(nth(frames, 'setPresence', 1).id).not.toBe(first.id)
    // Answered this time: nothing more is sent.
    sluice.last.send({ type: 'ack', id: nth(frames, 'setPresence', 1).id })
    await advance(MINUTE)
    expect(ofType(sluice.last.frames, 'setPresence')).toHaveLength(2)
  })

  test('a rate-limited unsubscribe is sent again, unless the topic was subscribed again meanwhile', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 0 } })
    const client = net.client({ transports: ['ws'] })
    const c = client.subscribe('c', { merge: latest({ size: 1 }) })
    const d = client.subscribe('d', { merge: latest({ size: 1 }) })
    await advance(0)
    sluice.last.send([subscribed('c', 0), subscribed('d', 0)])
    c.unsubscribe()
    d.unsubscribe()
    await advance(0)
    const forC = nth(sluice.last.frames, 'unsubscribe', 0)
    const forD = nth(sluice.last.frames, 'unsubscribe', 1)
    expect([forC, forD]).toEqual([
      { type: 'unsubscribe', id: expect.any(String), topic: 'c' },
      { type: 'unsubscribe', id: expect.any(String), topic: 'd' },
    ])
    sluice.last.send([rateLimited(forC.id), rateLimited(forD.id)])
    client.subscribe('d', { merge: latest({ size: 1 }) })
    await advance(30_000)
    expect(ofType(sluice.last.frames, 'unsubscribe')).toEqual([
      forC,
      forD,
      { type: 'unsubscribe', id: expect.any(String), topic: 'c' },
    ])
  })

  test('a retry pending when the connection drops is dropped with it (the reconnect restates presence)', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 0 } })
    const client = net.client({ transports: ['ws'] })
    client.subscribe('room', { merge: latest({ size: 1 }) })
    await advance(0)
    sluice.last.send(subscribed('room', 0))
    client.setPresence('room', { typing: true })
    await advance(0)
    const first = sluice.last
    const sent = nth(first.frames, 'setPresence', 0)
    first.send(rateLimited(sent.id))
    await advance(0)
    first.close(1006)
    await advance(250)
    const second = sluice.last
    expect(second).not.toBe(first)
    // Stated once the new subscription exists, not before.
    expect(ofType(second.frames, 'setPresence')).toEqual([])
    second.send(subscribed('room', 0))
    await advance(0)
    expect(ofType(second.frames, 'setPresence')).toEqual([
      { type: 'setPresence', id: expect.any(String), topic: 'room', state: { typing: true } },
    ])
    await advance(MINUTE)
    expect(ofType(second.frames, 'setPresence')).toHaveLength(1)
  })
})
