/**
 * Presence across nodes on a real redis-server: a dead node's members swept by a survivor (one
 * leave each), the node's topic list kept to the topics where it has members, and members put
 * back after Redis lost them.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { collect } from '../../server-node/test/engine-contract'
import type { RedisEngine, RedisEngineOptions } from '../src/index'
import { engineNodes } from './engine-nodes'
import { type RedisServer, startRedisServer } from './redis-server'

let redis: RedisServer

beforeEach(async () => {
  redis = await startRedisServer()
})
afterEach(async () => {
  await nodes.closeAll()
  await redis.stop()
})

const nodes = engineNodes()
const node = (options: RedisEngineOptions = {}) => nodes.node(redis.url, options)

const member = (connectionId: string, node = 'ghost') =>
  JSON.stringify({ member: { connectionId, identity: null, state: { n: connectionId } }, node })

describe('presence across nodes', () => {
  it('removes the members of a node whose lease ran out, with exactly one leave each', async () => {
    // A node that dies without a goodbye: its lease runs out in 800 ms (Redis time), its
    // members remain.
    const [seconds, micros] = (await redis.command('TIME')) as [string, string]
    const expires = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) + 800
    await redis.command('ZADD', 'sluice:nodes', String(expires), 'ghost')
    await redis.command('SADD', 'sluice:node:ghost:presence', 'room', 'hall')
    await redis.command(
      'HSET',
      'sluice:{room}:presence',
      'g1',
      member('g1'),
      'g2',
      member('g2'),
      'a1',
      member('a1', 'alive'),
    )
    await redis.command('HSET', 'sluice:{hall}:presence', 'g3', member('g3'))
    // Two survivors sweep at once; the HDEL in the script lets each leave out once.
    const [a, b] = [await node({ nodeLeaseMs: 300 }), await node({ nodeLeaseMs: 300 })] as [
      RedisEngine,
      RedisEngine,
    ]
    const onA = collect(a)
    await a.watch('room')
    await a.watch('hall')
    expect(onA.presence).toEqual([])
    await vi.waitFor(async () => expect(await redis.command('ZSCORE', 'sluice:nodes', 'ghost')).toBeNull(), {
      timeout: 3_000,
    })
    await vi.waitFor(() => expect(onA.presence).toHaveLength(3))
    expect(
      onA.presence.map((change) => [change.topic, change.action, change.member.connectionId]).sort(),
    ).toEqual([
      ['hall', 'leave', 'g3'],
      ['room', 'leave', 'g1'],
      ['room', 'leave', 'g2'],
    ])
    expect(await b.presence('room')).toEqual([{ connectionId: 'a1', identity: null, state: { n: 'a1' } }])
    expect(await redis.command('EXISTS', 'sluice:node:ghost:presence')).toBe(0)
  })

  it('lists a topic under the node only while the node has members there', async () => {
    const a = await node()
    const key = `sluice:node:${a.nodeId}:presence`
    await a.setPresence('room', { connectionId: 'c1', identity: null })
    await a.setPresence('room', { connectionId: 'c2', identity: null })
    expect(await redis.command('SMEMBERS', key)).toEqual(['room'])
    await a.removePresence('room', 'c1')
    expect(await redis.command('SMEMBERS', key)).toEqual(['room'])
    await a.removePresence('room', 'c2')
    expect(await redis.command('SMEMBERS', key)).toEqual([])
  })

  it('puts its members back after Redis restarted empty: one join each on the other nodes', async () => {
    const a = await node()
    const b = await node()
    await a.setPresence('room', { connectionId: 'c1', identity: 'u1', state: { typing: false } })
    const onB = collect(b)
    await b.watch('room')
    await redis.restart()
    await vi.waitFor(async () => expect(await b.presence('room')).toHaveLength(1), { timeout: 5_000 })
    expect(await b.presence('room')).toEqual([
      { connectionId: 'c1', identity: 'u1', state: { typing: false } },
    ])
    await vi.waitFor(() => expect(onB.presence.map((change) => change.action)).toContain('join'))
    expect(onB.presence.filter((change) => change.member.connectionId === 'c1').map((c) => c.action)).toEqual(
      ['join'],
    )
  })
})
