/**
 * Several Sluice servers on one Redis, in this process, behind a round-robin load balancer:
 * real sockets, real clients, a real redis-server. What one node does, every node sees.
 */
import { createClient, custom, presence as presenceMerge } from '@sluice/client'
import type { SluiceServerOptions } from '@sluice/server-node'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import WebSocket from 'ws'
import { until } from '../../client/test/integration/harness'
import { createRedisEngine, type RedisEngine } from '../src/index'
import { type LoadBalancer, startLoadBalancer } from './load-balancer'
import { type RedisServer, startRedisServer } from './redis-server'

let redis: RedisServer
const nodes: Array<{ server: TestServer; engine: RedisEngine }> = []
let balancer: LoadBalancer | undefined
const clients: Array<{ close(): void }> = []

beforeEach(async () => {
  redis = await startRedisServer()
})
afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  await balancer?.close()
  balancer = undefined
  for (const { server, engine } of nodes.splice(0)) {
    await server.close()
    await engine.close()
  }
  await redis.stop()
})

async function startNodes(count: number, options: SluiceServerOptions = {}) {
  for (let i = 0; i < count; i++) {
    const engine = createRedisEngine({ url: redis.url, onError: () => {}, reconnectDelay: () => 20 })
    await engine.ready()
    // These tests are about delivery across nodes: clients may publish anywhere.
    const rules: SluiceServerOptions['rules'] = [{ topic: '**', subscribe: 'anyone', publish: 'anyone' }]
    const server = await createTestServer({
      engine,
      publishKeys: ['pk'],
      rateLimit: false,
      rules,
      ...options,
    })
    nodes.push({ server, engine })
  }
  balancer = await startLoadBalancer(nodes.map(({ server }) => server.port))
  return nodes
}

function client(url: string, transports: Array<'ws' | 'sse'> = ['ws', 'sse']) {
  const created = createClient({ url, WebSocket, transports, backoff: { baseMs: 10, factor: 2, maxMs: 50 } })
  clients.push(created)
  return created
}

const numbers = () => custom<number[]>((seen, event) => [...seen, event.data as number], [])

async function httpPublish(server: TestServer, body: object) {
  const response = await fetch(`${server.url}/publish`, {
    method: 'POST',
    headers: { authorization: 'Bearer pk', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as { epoch?: string; seq?: number; duplicate?: boolean; code?: string },
  }
}

describe('many nodes on one Redis', () => {
  it('delivers a publish on one node to subscribers on every node, in order', async () => {
    const [one, two] = await startNodes(2)
    const onOne = client((one as { server: TestServer }).server.url).subscribe('t', { merge: numbers() })
    const onTwo = client((two as { server: TestServer }).server.url, ['sse']).subscribe('t', {
      merge: numbers(),
    })
    await until(onOne.$state, (s) => s.status === 'live', 'node one live')
    await until(onTwo.$state, (s) => s.status === 'live', 'node two live')
    for (let n = 1; n <= 50; n++) await nodes[n % 2]?.server.server.publish('t', { kind: 'created', data: n })
    const expected = Array.from({ length: 50 }, (_, i) => i + 1)
    await until(onOne.$state, (s) => s.data.length === 50, 'node one to get 50')
    await until(onTwo.$state, (s) => s.data.length === 50, 'node two to get 50')
    expect(onOne.$state.get().data).toEqual(expected)
    expect(onTwo.$state.get().data).toEqual(expected)
  })

  it('resumes on another node after a drop: the events missed meanwhile are replayed once', async () => {
    await startNodes(2)
    const lb = balancer as LoadBalancer
    for (const transports of [['ws'], ['sse']] as const) {
      const topic = `resume-${transports[0]}`
      const sub = client(lb.url, [...transports]).subscribe(topic, {
        merge: numbers(),
        onResync: () => expect.fail('no resync'),
      })
      await until(sub.$state, (s) => s.status === 'live', 'live')
      const publisher = (nodes[0] as { server: TestServer }).server.server
      for (let n = 1; n <= 10; n++) await publisher.publish(topic, { kind: 'created', data: n })
      await until(sub.$state, (s) => s.data.length === 10, 'the first ten')
      lb.drop()
      for (let n = 11; n <= 20; n++) await publisher.publish(topic, { kind: 'created', data: n })
      await until(sub.$state, (s) => s.data.length === 20, 'all twenty after the resume')
      expect(sub.$state.get().data).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    }
    // The balancer spread the connections (and the SSE command POSTs) over both nodes.
    expect([...lb.routed.values()].every((count) => count > 0)).toBe(true)
    expect(lb.routed.size).toBe(2)
  })

  it('routes SSE command POSTs to the stream node: subscribe, publish and presence over SSE through a round robin', async () => {
    await startNodes(3)
    const lb = balancer as LoadBalancer
    const sse = client(lb.url, ['sse'])
    const sub = sse.subscribe('chat', { merge: numbers() })
    await until(sub.$state, (s) => s.status === 'live', 'live over SSE')
    const acks = []
    for (let n = 1; n <= 9; n++)
      acks.push(await sse.publish('chat', { kind: 'created', data: n }, { id: `m${n}` }))
    expect(acks.map((ack) => ack.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
    await until(sub.$state, (s) => s.data.length === 9, 'the nine published over SSE')
    expect(sub.$state.get().data).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('answers a publish retried on another node as a duplicate with the original position', async () => {
    const [one, two] = await startNodes(2)
    const body = { topic: 'orders', kind: 'created', data: { n: 1 }, id: 'job-118' }
    const first = await httpPublish((one as { server: TestServer }).server, body)
    const retried = await httpPublish((two as { server: TestServer }).server, body)
    expect(first).toMatchObject({ status: 200, body: { seq: 1, duplicate: false } })
    expect(retried).toMatchObject({ status: 200, body: { epoch: first.body.epoch, seq: 1, duplicate: true } })
    expect(await (two as { engine: RedisEngine }).engine.head('orders')).toEqual({
      epoch: first.body.epoch,
      seq: 1,
    })
  })

  it('shows presence of every node, and one leave when a member disconnects', async () => {
    const [one, two] = await startNodes(2)
    const watcher = client((two as { server: TestServer }).server.url)
    const members = watcher.subscribe('room', { merge: presenceMerge(), presence: true })
    await until(members.$state, (s) => s.status === 'live', 'watcher live')
    const joiner = client((one as { server: TestServer }).server.url)
    joiner.subscribe('room', { merge: numbers() })
    joiner.setPresence('room', { name: 'ada' })
    await until(members.$state, (s) => s.data.items.length === 1, 'the join on the other node')
    expect(members.$state.get().data.items.map((m) => m.state)).toEqual([{ name: 'ada' }])
    joiner.close()
    await until(members.$state, (s) => s.data.items.length === 0, 'the leave on the other node')
  })

  it('routes sendTo and closeByIdentity to connections on other nodes', async () => {
    const [one, two] = await startNodes(2, { authenticate: (req) => (req.token ? { id: req.token } : null) })
    const alice = createClient({ url: (two as { server: TestServer }).server.url, WebSocket, token: 'alice' })
    clients.push(alice)
    alice.subscribe('t', { merge: numbers() })
    await until(alice.$connection, (s) => s.status === 'open', 'alice connected')
    const disconnects: string[] = []
    alice.$connection.listen((s) => {
      if (s.error) disconnects.push(s.error.code)
    })
    await (one as { server: TestServer }).server.server.closeByIdentity('alice', 'FORBIDDEN', 'banned')
    await vi.waitFor(() => expect(disconnects).toContain('FORBIDDEN'))
  })

  it('holds publishes on every node while a snapshot is taken on one', async () => {
    let releaseProvider: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      releaseProvider = resolve
    })
    const [one, two] = await startNodes(2, {
      snapshot: async () => {
        await gate
        return ['snapshot']
      },
    })
    const reader = client((one as { server: TestServer }).server.url)
    const sub = reader.subscribe('doc', {
      merge: custom<unknown[]>((seen, event) => [...seen, event.data], []),
      snapshot: true,
    })
    await vi.waitFor(async () => expect(await redis.command('EXISTS', 'sluice:{doc}:hold')).toBe(1))
    const published = (two as { server: TestServer }).server.server.publish('doc', {
      kind: 'created',
      data: 'after',
    })
    let landed = false
    void published.then(() => {
      landed = true
    })
    // The append reached Redis and was refused: node two's held marker says so.
    const marker = `sluice:{doc}:held:${(two as { engine: RedisEngine }).engine.nodeId}`
    await vi.waitFor(async () => expect(await redis.command('EXISTS', marker)).toBe(1))
    expect(landed).toBe(false)
    expect(await (two as { engine: RedisEngine }).engine.head('doc')).toMatchObject({ seq: 0 })
    releaseProvider()
    expect(await published).toMatchObject({ seq: 1 })
    await until(sub.$state, (s) => s.data.length === 2, 'the held publish after the snapshot')
    expect(sub.$state.get()).toMatchObject({ status: 'live', data: ['snapshot', 'after'] })
  })

  it('tells every subscribed store to resync once, with epoch_changed, when Redis restarts empty', async () => {
    const [one, two] = await startNodes(2)
    const resyncs: string[] = []
    const subs = [one, two].map((node) =>
      client((node as { server: TestServer }).server.url).subscribe('t', {
        merge: numbers(),
        onResync: (reason) => resyncs.push(reason),
      }),
    )
    for (const sub of subs) await until(sub.$state, (s) => s.status === 'live', 'live')
    const publisher = (one as { server: TestServer }).server.server
    for (let n = 1; n <= 5; n++) await publisher.publish('t', { kind: 'created', data: n })
    for (const sub of subs) await until(sub.$state, (s) => s.data.length === 5, 'the first five')
    await redis.restart()
    await vi.waitFor(() => expect(resyncs).toEqual(['epoch_changed', 'epoch_changed']), { timeout: 5_000 })
    // The log starts over; the stores go on from the new epoch with nothing repeated. With no
    // snapshot or load() to reload from, each keeps its data and says it may be stale, and why.
    await vi.waitFor(async () =>
      expect((await publisher.publish('t', { kind: 'created', data: 6 }))?.seq).toBe(1),
    )
    for (const sub of subs) {
      await until(sub.$state, (s) => s.data.at(-1) === 6, 'the first event after the restart')
      expect(sub.$state.get()).toMatchObject({
        data: [1, 2, 3, 4, 5, 6],
        status: 'live',
        error: null,
        stale: 'epoch_changed',
      })
    }
    expect(resyncs).toHaveLength(2)
  })

  it('answers 503 UNAVAILABLE and engine_down while Redis is down, and recovers by itself', async () => {
    const [one] = await startNodes(1)
    const node = one as { server: TestServer; engine: RedisEngine }
    await redis.kill()
    await vi.waitFor(() => expect(node.engine.status()).toBe('down'))
    const health = await fetch(`http://127.0.0.1:${node.server.port}/healthz`)
    expect([health.status, await health.json()]).toEqual([503, { status: 'engine_down' }])
    const refused = await httpPublish(node.server, { topic: 't', kind: 'created', id: 'p1' })
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(refused.body).toMatchObject({ type: 'error', code: 'UNAVAILABLE', topic: 't', retryAfterMs: 1000 })
    await redis.start()
    await vi.waitFor(() => expect(node.engine.status()).toBe('up'), { timeout: 5_000 })
    const healthy = await fetch(`http://127.0.0.1:${node.server.port}/healthz`)
    expect([healthy.status, await healthy.json()]).toEqual([200, { status: 'ok' }])
    expect(await httpPublish(node.server, { topic: 't', kind: 'created', id: 'p1' })).toMatchObject({
      status: 200,
      body: { seq: 1, duplicate: false },
    })
  })
})
