/**
 * The server's per-identity and per-procedure rate limits on two nodes sharing one Redis: the
 * engine's store keeps the buckets in Redis (one script per take), so a limit holds for the
 * deployment, whichever node each connection reached.
 */
import type { ServerFrame } from '@sluice/protocol'
import type { SluiceServerOptions } from '@sluice/server-node'
import type { TestServer } from '@sluice/server-node/testing'
import { describe, expect, it } from 'vitest'
import type { WsPeer } from '../../server-node/test/helpers'
import { serverNodes } from './server-nodes'

const nodes = serverNodes()

async function twoNodes(options: SluiceServerOptions) {
  const one = await nodes.node(options)
  const two = await nodes.node(options)
  return [one.server, two.server] as [TestServer, TestServer]
}

const open = (node: TestServer, token?: string) => nodes.open(node, token)

/** Calls and returns the answer, one call at a time (answers of concurrent calls may come in any order). */
async function call(peer: WsPeer, id: string, name: string): Promise<ServerFrame> {
  peer.send({ type: 'call', id, name })
  return peer.next((frame) => (frame.type === 'result' || frame.type === 'error') && frame.id === id)
}

// One token per 100 s: the refill while a test runs (Redis's clock, not a fake one) is far under one token.
const slow = { perSecond: 0.01, burst: 3 }

describe('rate limits shared through Redis', () => {
  it('an identity’s calls are counted across nodes: the fourth, on either node, is refused', async () => {
    const [a, b] = await twoNodes({
      identityRateLimits: { calls: slow },
      procedures: { ping: { guard: 'anyone', handler: () => 'pong' } },
    })
    const onA = await open(a, 'alice')
    const onB = await open(b, 'alice')
    expect(await call(onA, 'c1', 'ping')).toEqual({ type: 'result', id: 'c1', result: 'pong' })
    expect(await call(onB, 'c2', 'ping')).toEqual({ type: 'result', id: 'c2', result: 'pong' })
    expect(await call(onA, 'c3', 'ping')).toEqual({ type: 'result', id: 'c3', result: 'pong' })
    for (const [peer, id] of [
      [onB, 'c4'],
      [onA, 'c5'],
    ] as const) {
      const refused = await call(peer, id, 'ping')
      expect(refused).toMatchObject({
        type: 'error',
        id,
        code: 'RATE_LIMITED',
        message: 'too many calls for identity "alice"; slow down',
      })
      const { retryAfterMs } = refused as { retryAfterMs: number }
      expect(retryAfterMs).toBeGreaterThan(90_000)
      expect(retryAfterMs).toBeLessThanOrEqual(100_000)
    }
    // Another identity has its own bucket, on the same nodes.
    expect(await call(await open(b, 'bob'), 'c6', 'ping')).toEqual({
      type: 'result',
      id: 'c6',
      result: 'pong',
    })
  })

  it('grants exactly the burst to concurrent calls from many connections on both nodes', async () => {
    const [a, b] = await twoNodes({
      identityRateLimits: { calls: { perSecond: 0.01, burst: 5 } },
      procedures: { ping: { guard: 'anyone', handler: () => 'pong' } },
    })
    const connections = await Promise.all(
      Array.from({ length: 8 }, (_, i) => open(i % 2 === 0 ? a : b, 'alice')),
    )
    const answered = (frame: ServerFrame) => frame.type === 'result' || frame.type === 'error'
    for (const [i, peer] of connections.entries()) {
      peer.send([
        { type: 'call', id: `c${i}a`, name: 'ping' },
        { type: 'call', id: `c${i}b`, name: 'ping' },
      ])
    }
    const answers = (await Promise.all(connections.map((peer) => peer.collect(answered, 2)))).flat()
    const codes = answers.map((answer) => (answer.type === 'error' ? answer.code : 'ok'))
    expect(codes.filter((code) => code === 'ok')).toHaveLength(5)
    expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(11)
  })

  it('a procedure’s per-identity bucket lives in Redis under the engine’s prefix, with a TTL; per-connection and anonymous ones do not', async () => {
    const [a, b] = await twoNodes({
      procedures: {
        sendCode: { guard: 'anyone', rateLimit: { perSecond: 0.01, burst: 1 }, handler: () => 'sent' },
        search: {
          guard: 'anyone',
          rateLimit: { perSecond: 0.01, burst: 1, per: 'connection' },
          handler: () => 'found',
        },
      },
    })
    expect(await call(await open(a, 'alice'), 's1', 'sendCode')).toEqual({
      type: 'result',
      id: 's1',
      result: 'sent',
    })
    expect(await call(await open(b, 'alice'), 's2', 'sendCode')).toMatchObject({
      code: 'RATE_LIMITED',
      message: 'too many calls of sendCode for identity "alice"; slow down',
    })
    const searcher = await open(a, 'alice')
    expect(await call(searcher, 'q1', 'search')).toEqual({ type: 'result', id: 'q1', result: 'found' })
    expect(await call(searcher, 'q2', 'search')).toMatchObject({ code: 'RATE_LIMITED' })
    expect(await call(await open(b, 'alice'), 'q3', 'search')).toEqual({
      type: 'result',
      id: 'q3',
      result: 'found',
    })
    expect(await call(await open(b), 'a1', 'sendCode')).toEqual({ type: 'result', id: 'a1', result: 'sent' })
    expect(await nodes.redis().command('KEYS', 'sluice:limit:*')).toEqual([
      'sluice:limit:identity:alice:call:sendCode',
    ])
    const ttl = Number(await nodes.redis().command('PTTL', 'sluice:limit:identity:alice:call:sendCode'))
    expect(ttl).toBeGreaterThan(90_000)
    expect(ttl).toBeLessThanOrEqual(100_001)
  })

  it('refuses with UNAVAILABLE while Redis cannot be reached, rather than letting calls through unlimited', async () => {
    const [a] = await twoNodes({
      identityRateLimits: { calls: slow },
      procedures: { ping: { guard: 'anyone', handler: () => 'pong' } },
    })
    const peer = await open(a, 'alice')
    await nodes.redis().kill()
    expect(await call(peer, 'c1', 'ping')).toMatchObject({
      type: 'error',
      id: 'c1',
      code: 'UNAVAILABLE',
      retryAfterMs: 1_000,
    })
  })
})
