import type { ServerFrame } from '@sluice/protocol'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  createMemoryRateLimitStore,
  type RateLimit,
  type RateLimitStore,
} from '../src/limits/rate-limit-store'
import type { ErrorContext } from '../src/options'
import { ServerError } from '../src/server-error'
import { ofType, serverPerTest, type WsPeer } from './helpers'

const fixture = serverPerTest()
const byToken = ({ token }: { token?: string | undefined }) => (token ? { id: token } : null)
const answers = (frame: ServerFrame) =>
  frame.type === 'result' ||
  frame.type === 'error' ||
  frame.type === 'ack' ||
  frame.type === 'subscribed' ||
  frame.type === 'unsubscribed'

// Only Date is faked: the buckets read it, while sockets keep their real timers.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(1_700_000_000_000)
})
afterEach(() => {
  vi.useRealTimers()
})

/** Sends calls one after another, each once the previous was answered (answers of concurrent calls may come in any order), and returns the answers. */
async function callEach(peer: WsPeer, calls: Array<{ id: string; name: string }>): Promise<ServerFrame[]> {
  const out: ServerFrame[] = []
  for (const { id, name } of calls) {
    peer.send({ type: 'call', id, name })
    out.push(await peer.next(answers))
  }
  return out
}

const limited = (id: string, message: string, retryAfterMs: number, topic?: string) => ({
  type: 'error',
  id,
  code: 'RATE_LIMITED',
  message,
  retryAfterMs,
  ...(topic === undefined ? {} : { topic }),
})

describe('per-procedure rate limits', () => {
  it('share a per-identity bucket across the identity’s connections; per-connection ones do not', async () => {
    const ran: string[] = []
    await fixture.start({
      authenticate: byToken,
      procedures: {
        sendCode: {
          guard: 'anyone',
          rateLimit: { perSecond: 1, burst: 2 },
          handler: (_args, ctx) => void ran.push(`sendCode by ${ctx.identity?.id}`),
        },
        search: {
          guard: 'anyone',
          rateLimit: { perSecond: 10, burst: 1, per: 'connection' },
          handler: (_args, ctx) => void ran.push(`search on ${ctx.connectionId}`),
        },
      },
    })
    const { peer: a } = await fixture.open('v=1&token=alice')
    const { peer: b, welcome: bWelcome } = await fixture.open('v=1&token=alice')
    const { peer: bob } = await fixture.open('v=1&token=bob')
    expect(
      await callEach(a, [
        { id: 'a1', name: 'sendCode' },
        { id: 'a2', name: 'sendCode' },
      ]),
    ).toEqual([
      { type: 'result', id: 'a1' },
      { type: 'result', id: 'a2' },
    ])
    b.send({ type: 'call', id: 'b1', name: 'sendCode' })
    expect(await b.next(answers)).toEqual(
      limited('b1', 'too many calls of sendCode for identity "alice"; slow down', 1_000),
    )
    bob.send({ type: 'call', id: 'x1', name: 'sendCode' })
    expect(await bob.next(answers)).toEqual({ type: 'result', id: 'x1' })
    vi.setSystemTime(Date.now() + 999)
    b.send({ type: 'call', id: 'b2', name: 'sendCode' })
    expect(await b.next(answers)).toEqual(
      limited('b2', 'too many calls of sendCode for identity "alice"; slow down', 1),
    )
    vi.setSystemTime(Date.now() + 1)
    b.send({ type: 'call', id: 'b3', name: 'sendCode' })
    expect(await b.next(answers)).toEqual({ type: 'result', id: 'b3' })

    expect(
      await callEach(a, [
        { id: 'a3', name: 'search' },
        { id: 'a4', name: 'search' },
      ]),
    ).toEqual([
      { type: 'result', id: 'a3' },
      limited('a4', 'too many calls of search for this connection; slow down', 100),
    ])
    b.send({ type: 'call', id: 'b4', name: 'search' })
    expect(await b.next(answers)).toEqual({ type: 'result', id: 'b4' })
    expect(ran).toEqual([
      'sendCode by alice',
      'sendCode by alice',
      'sendCode by bob',
      'sendCode by alice',
      expect.stringMatching(/^search on /),
      `search on ${bWelcome.connectionId}`,
    ])
  })

  it('spends the bucket before the guard runs, so refused callers are limited too', async () => {
    let guards = 0
    await fixture.start({
      authenticate: byToken,
      procedures: {
        admin: {
          rateLimit: { perSecond: 1, burst: 1 },
          guard: () => {
            guards++
            return false
          },
          handler: () => 'never',
        },
      },
    })
    const { peer } = await fixture.open('v=1&token=eve')
    expect(
      await callEach(peer, [
        { id: 'c1', name: 'admin' },
        { id: 'c2', name: 'admin' },
      ]),
    ).toEqual([
      { type: 'error', id: 'c1', code: 'FORBIDDEN', message: 'not allowed to call admin' },
      limited('c2', 'too many calls of admin for identity "eve"; slow down', 1_000),
    ])
    expect(guards).toBe(1)
  })
})

describe('identityRateLimits', () => {
  it('counts commands, calls and publishes per identity; ping is not counted; a refused publish is not appended', async () => {
    const t = await fixture.start({
      authenticate: byToken,
      rules: [{ topic: 'chat', subscribe: 'authenticated', publish: 'authenticated' }],
      identityRateLimits: { commands: { perSecond: 1, burst: 4 }, publishes: { perSecond: 0.5, burst: 1 } },
    })
    const { peer: a } = await fixture.open('v=1&token=alice')
    const { peer: b } = await fixture.open('v=1&token=alice')
    a.send({ type: 'publish', id: 'p1', topic: 'chat', kind: 'created' })
    expect(await a.next(answers)).toMatchObject({ type: 'ack', id: 'p1', seq: 1 })
    b.send({ type: 'publish', id: 'p2', topic: 'chat', kind: 'created' })
    expect(await b.next(answers)).toEqual(
      limited('p2', 'too many publishes for identity "alice"; slow down', 2_000, 'chat'),
    )
    b.send({ type: 'subscribe', id: 's1', topic: 'chat' })
    expect(await b.next(answers)).toMatchObject({ type: 'subscribed', id: 's1' })
    for (const id of ['q1', 'q2', 'q3']) a.send({ type: 'ping', id })
    await a.collect(ofType('pong'), 3)
    a.send({ type: 'subscribe', id: 's2', topic: 'chat' })
    expect(await a.next(answers)).toMatchObject({ type: 'subscribed', id: 's2' })
    a.send({ type: 'unsubscribe', id: 'u1', topic: 'chat' })
    expect(await a.next(answers)).toEqual(
      limited('u1', 'too many commands for identity "alice"; slow down', 1_000, 'chat'),
    )
    expect(t.server.stats().eventsPublished).toBe(1)
    vi.setSystemTime(Date.now() + 2_000)
    b.send({ type: 'publish', id: 'p2', topic: 'chat', kind: 'created' })
    expect(await b.next(ofType('ack'))).toMatchObject({ id: 'p2', seq: 2 })
  })

  it('gives each anonymous connection buckets of its own', async () => {
    await fixture.start({
      identityRateLimits: { calls: { perSecond: 1, burst: 1 } },
      procedures: { ping: { guard: 'anyone', handler: () => 'pong' } },
    })
    const { peer: first } = await fixture.open()
    const { peer: second } = await fixture.open()
    for (const peer of [first, second]) {
      expect(
        await callEach(peer, [
          { id: 'c1', name: 'ping' },
          { id: 'c2', name: 'ping' },
        ]),
      ).toEqual([
        { type: 'result', id: 'c1', result: 'pong' },
        limited('c2', 'too many calls for this connection; slow down', 1_000),
      ])
    }
  })
})

describe('rateLimitStore', () => {
  it('holds the identity and procedure buckets, by URI-encoded identity; connection buckets stay in memory', async () => {
    const memory = createMemoryRateLimitStore()
    const consumed: Array<{ key: string; limit: RateLimit }> = []
    const store: RateLimitStore = {
      async consume(key, cost, limit) {
        consumed.push({ key, limit })
        return memory.consume(key, cost, limit)
      },
    }
    await fixture.start({
      authenticate: byToken,
      rateLimitStore: store,
      identityRateLimits: { calls: { perSecond: 5, burst: 5 } },
      procedures: {
        'todos.add': { guard: 'anyone', rateLimit: { perSecond: 2, burst: 2 }, handler: () => 1 },
        local: {
          guard: 'anyone',
          rateLimit: { perSecond: 2, burst: 2, per: 'connection' },
          handler: () => 2,
        },
      },
    })
    const { peer } = await fixture.open('v=1&token=a%3Ab%2Fc')
    await callEach(peer, [
      { id: 'c1', name: 'todos.add' },
      { id: 'c2', name: 'local' },
    ])
    const { peer: anonymous } = await fixture.open()
    await callEach(anonymous, [{ id: 'c3', name: 'todos.add' }])
    expect(consumed).toEqual([
      { key: 'identity:a%3Ab%2Fc:calls', limit: { perSecond: 5, burst: 5 } },
      { key: 'identity:a%3Ab%2Fc:call:todos.add', limit: { perSecond: 2, burst: 2 } },
      { key: 'identity:a%3Ab%2Fc:calls', limit: { perSecond: 5, burst: 5 } },
    ])
  })

  it('fails the command with the store’s error: a ServerError keeps its code, anything else is INTERNAL and reported', async () => {
    const errors: Array<{ error: unknown; context: ErrorContext }> = []
    let failure: unknown = new ServerError('UNAVAILABLE', 'the limits store is down', { retryAfterMs: 500 })
    await fixture.start({
      authenticate: byToken,
      identityRateLimits: { calls: { perSecond: 5, burst: 5 } },
      rateLimitStore: {
        consume: () => {
          throw failure
        },
      },
      onError: (error, context) => void errors.push({ error, context }),
      procedures: { ping: { guard: 'anyone', handler: () => 'pong' } },
    })
    const { peer, welcome } = await fixture.open('v=1&token=alice')
    peer.send({ type: 'call', id: 'c1', name: 'ping' })
    expect(await peer.next(answers)).toEqual({
      type: 'error',
      id: 'c1',
      code: 'UNAVAILABLE',
      message: 'the limits store is down',
      retryAfterMs: 500,
    })
    failure = new Error('socket hang up')
    peer.send({ type: 'call', id: 'c2', name: 'ping' })
    expect(await peer.next(answers)).toEqual({
      type: 'error',
      id: 'c2',
      code: 'INTERNAL',
      message: 'internal server error',
    })
    expect(errors).toEqual([
      {
        error: new Error('socket hang up'),
        context: {
          operation: 'call',
          connectionId: welcome.connectionId,
          identity: { id: 'alice' },
          topic: undefined,
        },
      },
    ])
  })

  it('keeps a topic’s commands in order while a slow store answers', async () => {
    let releaseFirst: () => void = () => {}
    const memory = createMemoryRateLimitStore()
    let calls = 0
    await fixture.start({
      authenticate: byToken,
      identityRateLimits: { commands: { perSecond: 100, burst: 100 } },
      rateLimitStore: {
        async consume(key, cost, limit) {
          calls++
          if (calls === 1) {
            await new Promise<void>((resolve) => {
              releaseFirst = resolve
            })
          }
          return memory.consume(key, cost, limit)
        },
      },
    })
    const { peer } = await fixture.open('v=1&token=alice')
    peer.send([
      { type: 'subscribe', id: 's1', topic: 'news' },
      { type: 'unsubscribe', id: 'u1', topic: 'news' },
    ])
    await vi.waitFor(() => expect(calls).toBe(1))
    releaseFirst()
    expect(await peer.collect(answers, 2)).toEqual([
      { type: 'subscribed', id: 's1', topic: 'news', epoch: expect.any(String), seq: 0 },
      { type: 'unsubscribed', id: 'u1', topic: 'news' },
    ])
  })

  it('refuses limits that cannot work, naming the option', async () => {
    await expect(
      fixture.start({
        procedures: { x: { guard: 'anyone', rateLimit: { perSecond: 0, burst: 1 }, handler: () => 1 } },
      }),
    ).rejects.toThrow(
      new RangeError('procedures.x.rateLimit.perSecond must be a positive number, received 0'),
    )
    await expect(
      fixture.start({
        procedures: {
          x: { guard: 'anyone', rateLimit: { perSecond: 1, burst: 1, per: 'ip' as never }, handler: () => 1 },
        },
      }),
    ).rejects.toThrow(
      new TypeError(`procedures.x.rateLimit.per must be 'identity' or 'connection', received "ip"`),
    )
    await expect(
      fixture.start({ identityRateLimits: { calls: { perSecond: 1, burst: 0.5 } } }),
    ).rejects.toThrow(new RangeError('identityRateLimits.calls.burst must be a number ≥ 1, received 0.5'))
    await expect(
      fixture.start({ identityRateLimits: { call: { perSecond: 1, burst: 1 } } as never }),
    ).rejects.toThrow(
      new TypeError('identityRateLimits has an unknown field "call" (it has commands, calls, publishes)'),
    )
    await expect(fixture.start({ rateLimitStore: {} as never })).rejects.toThrow(
      new TypeError('rateLimitStore must have consume(key, cost, { perSecond, burst })'),
    )
  })
})
