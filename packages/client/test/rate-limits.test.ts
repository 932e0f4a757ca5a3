/**
 * Server hints about when to come back, on the in-process fake server: a `reconnect` frame
 * sets the floor of the reconnect it precedes while it runs, and nothing else does (a
 * RATE_LIMITED error without an id is about a command, not the connection). RATE_LIMITED
 * answers to fire-and-forget commands (setPresence, unsubscribe) are matched by id and the
 * command is sent again after `retryAfterMs` instead of being lost. Publishes and subscribes
 * that are rate-limited: commands.test.ts and subscriptions.test.ts.
 */
import type { ClientFrame } from '@sluice/protocol'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { latest } from '../src/merge/latest'
import { subscribed } from './flows'
import { advance, setup, useFakeTime } from './helpers'

let START = 0
beforeEach(() => {
  useFakeTime()
  START = Date.now()
})
afterEach(() => {
  vi.useRealTimers()
})

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
const quiet = { welcome: { heartbeatMs: 0 } }

describe('reconnect hints', () => {
  test('a RATE_LIMITED error without id does not delay a reconnect that happens later', async () => {
    const { server, client } = setup({ transports: ['ws'] }, quiet)
    await advance(0)
    server.last.send(rateLimited(undefined))
    await advance(10 * MINUTE)
    server.last.close(1006)
    await advance(0)
    // The curve's delay for attempt 0 (0.5 × 500), not the 30 s of the rate limit.
    expect(client.$connection.get()).toMatchObject({ status: 'reconnecting', nextRetryAt: Date.now() + 250 })
    await advance(250)
    expect(client.$connection.get().status).toBe('open')
    client.close()
  })

  test("a reconnect frame's hint expires: a drop after its retryAfterMs has passed waits only the backoff", async () => {
    const { server, client } = setup({ transports: ['ws'] }, quiet)
    await advance(0)
    server.last.send({ type: 'reconnect', reason: 'SHUTTING_DOWN', retryAfterMs: 7000 })
    await advance(7001)
    server.last.close(1006)
    await advance(0)
    expect(client.$connection.get()).toMatchObject({ nextRetryAt: START + 7001 + 250 })
    client.close()
  })

  test('a drop while the hint runs waits what is left of it', async () => {
    const { server, client } = setup({ transports: ['ws'] }, quiet)
    await advance(0)
    server.last.send({ type: 'reconnect', reason: 'SHUTTING_DOWN', retryAfterMs: 7000 })
    await advance(2000)
    server.last.close(1012, 'SHUTTING_DOWN')
    await advance(0)
    expect(client.$connection.get()).toMatchObject({ nextRetryAt: START + 7000 })
    client.close()
  })
})

describe('rate-limited fire-and-forget commands', () => {
  test('a rate-limited setPresence is sent again after retryAfterMs, with the latest state', async () => {
    const { server, client } = setup({ transports: ['ws'] }, quiet)
    client.subscribe('room', { merge: latest({ size: 1 }) })
    await advance(0)
    server.last.send(subscribed('room', 0))
    client.setPresence('room', { typing: true })
    await advance(0)
    const first = nth(server.last.frames, 'setPresence', 0)
    expect(first).toEqual({
      type: 'setPresence',
      id: expect.any(String),
      topic: 'room',
      state: { typing: true },
    })
    server.last.send(rateLimited(first.id))
    await advance(0)
    client.setPresence('room', { typing: false })
    await advance(0)
    const second = nth(server.last.frames, 'setPresence', 1)
    expect(second).toEqual({
      type: 'setPresence',
      id: expect.any(String),
      topic: 'room',
      state: { typing: false },
    })
    server.last.send({ type: 'ack', id: second.id })
    await advance(29_999)
    expect(ofType(server.last.frames, 'setPresence')).toHaveLength(2)
    await advance(1)
    // The retry states what is true now, not the state that was refused.
    const frames = ofType(server.last.frames, 'setPresence')
    expect(frames).toEqual([
      first,
      second,
      { type: 'setPresence', id: expect.any(String), topic: 'room', state: { typing: false } },
    ])
    expect(new Set(frames.map((frame) => (frame as { id: string }).id)).size).toBe(3)
    // Answered this time: nothing more is sent.
    server.last.send({ type: 'ack', id: nth(frames, 'setPresence', 2).id })
    await advance(MINUTE)
    expect(ofType(server.last.frames, 'setPresence')).toHaveLength(3)
    client.close()
  })

  test('a rate-limited unsubscribe is sent again, unless the topic was subscribed again meanwhile', async () => {
    const { server, client } = setup({ transports: ['ws'] }, quiet)
    const c = client.subscribe('c', { merge: latest({ size: 1 }) })
    const d = client.subscribe('d', { merge: latest({ size: 1 }) })
    await advance(0)
    server.last.send([subscribed('c', 0), subscribed('d', 0)])
    c.unsubscribe()
    d.unsubscribe()
    await advance(0)
    const forC = nth(server.last.frames, 'unsubscribe', 0)
    const forD = nth(server.last.frames, 'unsubscribe', 1)
    expect([forC, forD]).toEqual([
      { type: 'unsubscribe', id: expect.any(String), topic: 'c' },
      { type: 'unsubscribe', id: expect.any(String), topic: 'd' },
    ])
    server.last.send([rateLimited(forC.id), rateLimited(forD.id)])
    client.subscribe('d', { merge: latest({ size: 1 }) })
    await advance(30_000)
    expect(ofType(server.last.frames, 'unsubscribe')).toEqual([
      forC,
      forD,
      { type: 'unsubscribe', id: expect.any(String), topic: 'c' },
    ])
    client.close()
  })

  test('a rate-limited unsubscribe without retryAfterMs is sent again after 1 s', async () => {
    const { server, client } = setup({ transports: ['ws'] }, quiet)
    const sub = client.subscribe('c', { merge: latest({ size: 1 }) })
    await advance(0)
    server.last.send(subscribed('c', 0))
    sub.unsubscribe()
    await advance(0)
    const first = nth(server.last.frames, 'unsubscribe', 0)
    server.last.send({ type: 'error', id: first.id, code: 'RATE_LIMITED', message: 'slow down' })
    await advance(999)
    expect(ofType(server.last.frames, 'unsubscribe')).toEqual([first])
    await advance(1)
    expect(ofType(server.last.frames, 'unsubscribe')).toEqual([
      first,
      { type: 'unsubscribe', id: expect.any(String), topic: 'c' },
    ])
    client.close()
  })

  test('a retry pending when the connection drops is dropped with it (the reconnect restates presence)', async () => {
    const { server, client } = setup({ transports: ['ws'] }, quiet)
    client.subscribe('room', { merge: latest({ size: 1 }) })
    await advance(0)
    server.last.send(subscribed('room', 0))
    client.setPresence('room', { typing: true })
    await advance(0)
    const first = server.last
    const sent = nth(first.frames, 'setPresence', 0)
    first.send(rateLimited(sent.id))
    await advance(0)
    first.close(1006)
    await advance(250)
    const second = server.last
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
    client.close()
  })
})
