/**
 * The engine on a real 3-master Redis Cluster (Debian's redis-server, --cluster-enabled yes):
 * the same contract suite as the memory engine and a single Redis, with topics spread over the
 * masters by their hash tags.
 */
import { createClient, custom } from '@sluice/client'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import WebSocket from 'ws'
import { until } from '../../client/test/integration/harness'
import { listening, startCli } from '../../server-node/test/cli-process'
import { collect, describeEngineContract } from '../../server-node/test/engine-contract'
import { createRedisEngine, type RedisEngine } from '../src/index'
import { type RedisCluster, startRedisCluster } from './redis-server'

let cluster: RedisCluster
const created: RedisEngine[] = []
let deployment = 0

beforeAll(async () => {
  cluster = await startRedisCluster(3)
}, 30_000)
afterAll(async () => {
  await cluster.stop()
})

async function nodes(count: number, options: Parameters<typeof createRedisEngine>[0] = {}) {
  const prefix = `c${++deployment}`
  const engines = Array.from({ length: count }, () =>
    createRedisEngine({ cluster: { rootNodes: cluster.urls }, prefix, onError: () => {}, ...options }),
  )
  created.push(...engines)
  await Promise.all(engines.map((engine) => engine.ready()))
  return engines
}

describeEngineContract('redis cluster', {
  distributed: true,
  nodes,
  async cleanup() {
    await Promise.all(created.splice(0).map((engine) => engine.close()))
  },
})

it('spreads topics over every master and delivers each in order to every node', async () => {
  const [a, b] = (await nodes(2)) as [RedisEngine, RedisEngine]
  const onB = collect(b)
  const topics = Array.from({ length: 12 }, (_, i) => `spread-${i}`)
  for (const topic of topics) await b.watch(topic)
  for (let n = 1; n <= 5; n++)
    for (const topic of topics) await a.append(topic, { kind: 'created', key: String(n), ts: Date.now() })
  await vi.waitFor(() => expect(onB.events).toHaveLength(60))
  for (const topic of topics) {
    expect(onB.events.filter((e) => e.topic === topic).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
  }
  // Each master holds some of the logs.
  const perMaster = await Promise.all(cluster.nodes.map(async (node) => Number(await node.command('DBSIZE'))))
  expect(perMaster.every((keys) => keys > 0)).toBe(true)
  await Promise.all(created.splice(0).map((engine) => engine.close()))
})

it('gives the topics of a master that restarted empty new epochs, and tells the watching nodes', async () => {
  const [a, b] = (await nodes(2, { reconnectDelay: () => 50 })) as [RedisEngine, RedisEngine]
  const onB = collect(b)
  const topics = Array.from({ length: 9 }, (_, i) => `restart-${i}`)
  for (const topic of topics) await b.watch(topic)
  for (const topic of topics) await a.append(topic, { kind: 'created', ts: Date.now() })
  await vi.waitFor(() => expect(onB.events).toHaveLength(9))
  const victim = cluster.nodes[1] as (typeof cluster.nodes)[number]
  const onVictim = new Set<string>()
  for (const topic of topics) {
    // A master counts keys only in the slots it owns.
    const slot = Number(await victim.command('CLUSTER', 'KEYSLOT', `{${topic}}`))
    if (Number(await victim.command('CLUSTER', 'COUNTKEYSINSLOT', String(slot))) > 0) onVictim.add(topic)
  }
  expect(onVictim.size).toBeGreaterThan(0)
  await victim.restart()
  await vi.waitFor(() => expect(onB.lost.map(([topic]) => topic).sort()).toEqual([...onVictim].sort()), {
    timeout: 10_000,
  })
  expect(onB.lost.every(([, lost]) => lost.reason === 'epoch_changed' && lost.seq === 0)).toBe(true)
  await Promise.all(created.splice(0).map((engine) => engine.close()))
}, 30_000)

it('runs sluice-server on the cluster: --redis-cluster with the nodes in --redis-url', async () => {
  const run = startCli(
    [
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--redis-cluster',
      '--redis-url',
      cluster.urls.join(','),
      '--publish-key',
      'k',
    ],
    { SLUICE_LOG_LEVEL: 'info' },
  )
  try {
    const { port } = await listening(run)
    const client = createClient({ url: `http://127.0.0.1:${port}/realtime`, WebSocket })
    const sub = client.subscribe('cli', {
      merge: custom<number[]>((seen, event) => [...seen, event.data as number], []),
    })
    await until(sub.$state, (s) => s.status === 'live', 'live')
    for (let n = 1; n <= 3; n++) {
      const response = await fetch(`http://127.0.0.1:${port}/realtime/publish`, {
        method: 'POST',
        headers: { authorization: 'Bearer k' },
        body: JSON.stringify({ topic: 'cli', kind: 'created', data: n }),
      })
      expect(await response.json()).toMatchObject({ seq: n, duplicate: false })
    }
    await until(sub.$state, (s) => s.data.length === 3, 'three events')
    expect(sub.$state.get().data).toEqual([1, 2, 3])
    client.close()
  } finally {
    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
  }
}, 30_000)
