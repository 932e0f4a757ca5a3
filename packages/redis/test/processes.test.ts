/**
 * Real `sluice-server` processes (`--redis-url`) on one real redis-server, behind a round-robin
 * load balancer, with real clients over WebSocket and SSE: the history check across nodes, and
 * a node killed with SIGKILL mid-stream.
 */
import { createClient, custom, presence as presenceMerge } from '@sluice/client'
import { createClient as createRedisClient } from 'redis'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import WebSocket from 'ws'
import { seededRandom, sleep, until } from '../../client/test/integration/harness'
import { type CliRun, listening, logLines, startCli } from '../../server-node/test/cli-process'
import { type LoadBalancer, startLoadBalancer } from './load-balancer'
import { type RedisServer, startRedisServer } from './redis-server'

const PUBLISH_KEY = 'process-test-key'

let redis: RedisServer
let balancer: LoadBalancer | undefined
const nodes: Array<{ run: CliRun; port: number }> = []
const clients: Array<{ close(): void }> = []

beforeEach(async () => {
  redis = await startRedisServer()
})
afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  await balancer?.close()
  balancer = undefined
  for (const { run } of nodes.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGTERM')
      await run.exit
    }
  }
  await redis.stop()
})

/** sluice-server's arguments for a node of this test's deployment, plus `extra`. */
const nodeArgs = (extra: string[]) => [
  ...['--port', '0', '--host', '127.0.0.1', '--redis-url', redis.url, '--publish-key', PUBLISH_KEY],
  ...extra,
]

async function startNodes(count: number, extra: string[] = []) {
  const started = Array.from({ length: count }, () => startCli(nodeArgs(extra), { SLUICE_LOG_LEVEL: 'info' }))
  const lines = await Promise.all(started.map((run) => listening(run)))
  for (const [i, run] of started.entries()) nodes.push({ run, port: lines[i]?.port as number })
  balancer = await startLoadBalancer(nodes.map(({ port }) => port))
  return nodes
}

async function publish(port: number, topic: string, data: number, id: string) {
  const response = await fetch(`http://127.0.0.1:${port}/realtime/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${PUBLISH_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ topic, kind: 'created', data, id }),
  })
  const body = (await response.json()) as { seq?: number; code?: string }
  if (response.status !== 200)
    throw new Error(`publish ${topic}/${data} on ${port}: ${response.status} ${JSON.stringify(body)}`)
  return body
}

const numbers = () => custom<number[]>((seen, event) => [...seen, event.data as number], [])

const TOPICS = ['h0', 'h1', 'h2', 'h3', 'h4']
const EVENTS = Number(process.env.SLUICE_HISTORY_EVENTS ?? 10_000)
const MIN_DROPS = 30

test('the history check across 3 processes: 10,000 events, dozens of drops and bus cuts, clients moving between nodes over WS and SSE', async () => {
  const seed = Number(process.env.SLUICE_HISTORY_SEED ?? 20_261_205)
  const random = seededRandom(seed)
  await startNodes(3, ['--max-events', String(EVENTS + 1)])
  const lb = balancer as LoadBalancer
  const readers = (['ws', 'sse'] as const).map((transport) => {
    const client = createClient({
      url: lb.url,
      WebSocket,
      transports: transport === 'ws' ? ['ws', 'sse'] : ['sse'],
      backoff: { baseMs: 10, factor: 2, maxMs: 80 },
      random: seededRandom(seed + (transport === 'ws' ? 1 : 2)),
    })
    clients.push(client)
    const resyncs: string[] = []
    const subs = TOPICS.map((topic) =>
      client.subscribe(topic, { merge: numbers(), onResync: (reason) => resyncs.push(`${topic}:${reason}`) }),
    )
    return { transport, client, subs, resyncs }
  })
  for (const reader of readers) {
    await Promise.all(
      reader.subs.map((sub) => until(sub.$state, (s) => s.status === 'live', `${reader.transport} live`)),
    )
  }

  // Each topic is published in order by its own sequence of HTTP publishes, each to a random node.
  const published = new Map(TOPICS.map((topic) => [topic, 0]))
  let done = false
  const perTopic = EVENTS / TOPICS.length
  const publishers = TOPICS.map(async (topic, t) => {
    const pick = seededRandom(seed + 10 + t)
    for (let n = 1; n <= perTopic; n++) {
      const node = nodes[Math.floor(pick() * nodes.length)] as { port: number }
      await publish(node.port, topic, n, `${topic}-${n}`)
      published.set(topic, n)
    }
  })
  const all = Promise.all(publishers).then(() => {
    done = true
  })

  let drops = 0
  let busCuts = 0
  while (!done) {
    await sleep(20 + Math.floor(random() * 60))
    // Cut every client connection: each reconnect goes to the next node in turn.
    if (lb.drop() > 0) drops++
    // Now and then cut the nodes' pub/sub connections too: what they miss meanwhile must come
    // from the log.
    if (random() < 0.15) {
      await redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub')
      busCuts++
    }
  }
  await all

  // A last event per topic closes its stream: a lost, repeated or reordered event would stand
  // before it, so once it has arrived each store can be compared whole.
  for (const topic of TOPICS) await publish(nodes[0]?.port as number, topic, perTopic + 1, `${topic}-last`)
  const expected = Array.from({ length: perTopic + 1 }, (_, i) => i + 1)
  let checked = 0
  for (const reader of readers) {
    for (const [i, sub] of reader.subs.entries()) {
      const topic = TOPICS[i] as string
      await until(
        sub.$state,
        (s) => s.data.at(-1) === perTopic + 1,
        `${reader.transport} ${topic} to close`,
        60_000,
      )
      expect(sub.$state.get().data).toEqual(expected)
      checked += perTopic
    }
    expect(reader.resyncs).toEqual([])
  }
  const routed = [...lb.routed.values()]
  console.log(
    `multi-node history check (seed ${seed}): ${checked} deliveries checked in ${readers.length * TOPICS.length} stores ` +
      `(${EVENTS} events over ${TOPICS.length} topics, published to random nodes of ${nodes.length}), ` +
      `${drops} client drops, ${busCuts} cuts of every node's pub/sub connection, connections per node ${routed.join('/')}`,
  )
  expect(checked).toBe(EVENTS * readers.length)
  expect(drops).toBeGreaterThanOrEqual(MIN_DROPS)
  expect(busCuts).toBeGreaterThan(0)
  expect(routed).toHaveLength(3)
  expect(Math.min(...routed)).toBeGreaterThan(MIN_DROPS / 2)
}, 180_000)

describe('a node killed with SIGKILL', () => {
  test('its clients resume on another node with no loss, and each of its presence members leaves once', async () => {
    await startNodes(2, ['--redis-node-lease-ms', '1500'])
    const [doomed, survivor] = nodes as [{ run: CliRun; port: number }, { run: CliRun; port: number }]
    const lb = balancer as LoadBalancer
    // Everything through the balancer lands on the doomed node first.
    lb.setBackends([doomed.port])
    const client = createClient({ url: lb.url, WebSocket, backoff: { baseMs: 10, factor: 2, maxMs: 80 } })
    clients.push(client)
    const sub = client.subscribe('stream', { merge: numbers(), onResync: () => expect.fail('no resync') })
    client.subscribe('room', { merge: numbers() })
    client.setPresence('room', { name: 'ada' })
    await until(sub.$state, (s) => s.status === 'live', 'live on the doomed node')

    // Every presence change on the bus, as the nodes turn them into frames.
    const bus = createRedisClient({ url: redis.url })
    await bus.connect()
    const messages: string[] = []
    await bus.subscribe('sluice:{room}:bus', (message) => {
      if (message.startsWith('p')) messages.push(message)
    })
    const watcher = createClient({ url: `http://127.0.0.1:${survivor.port}/realtime`, WebSocket })
    clients.push(watcher)
    const members = watcher.subscribe('room', { merge: presenceMerge(), presence: true })
    await until(members.$state, (s) => s.data.items.length === 1, 'the member on the doomed node')
    const doomedMember = members.$state.get().data.items[0]?.connectionId as string
    const doomedNode = doomedMember.slice(0, doomedMember.indexOf('.'))

    for (let n = 1; n <= 50; n++) await publish(survivor.port, 'stream', n, `s-${n}`)
    await until(sub.$state, (s) => s.data.length === 50, 'the first 50')
    lb.setBackends([survivor.port])
    doomed.run.child.kill('SIGKILL')
    expect(await doomed.run.exit).toBeNull()
    for (let n = 51; n <= 100; n++) await publish(survivor.port, 'stream', n, `s-${n}`)
    await until(sub.$state, (s) => s.data.length === 100, 'all 100 after the resume on the survivor', 20_000)
    expect(sub.$state.get().data).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))

    // The survivor sweeps the dead node within about one lease and then forgets it: after that
    // no further leave can come, so the count below is final.
    await vi.waitFor(
      async () => expect(await redis.command('ZSCORE', 'sluice:nodes', doomedNode)).toBeNull(),
      {
        timeout: 10_000,
        interval: 50,
      },
    )
    const leaves = messages.filter(
      (m) => m.startsWith('pleave\n') && m.includes(`"connectionId":"${doomedMember}"`),
    )
    expect(leaves).toHaveLength(1)
    // The client, back on the survivor, joined again under its new connection; the watcher's
    // store holds just that one.
    await vi.waitFor(() => {
      const ids = members.$state.get().data.items.map((m) => m.connectionId)
      expect(ids).toHaveLength(1)
      expect(ids[0]).not.toBe(doomedMember)
    })
    await bus.close()
  }, 60_000)
})

describe('sluice-server --workers', () => {
  test('runs the workers on one port, each a node of the deployment, and stops them all on SIGTERM', async () => {
    const run = startCli(nodeArgs(['--workers', '2']), { SLUICE_LOG_LEVEL: 'info' })
    const { port } = await listening(run)
    nodes.push({ run, port: port as number })
    // The first worker listening is not all of them: the primary says when every one is.
    await vi.waitFor(
      () => expect(logLines(run).some((line) => line.msg.includes('running 2 workers'))).toBe(true),
      {
        timeout: 15_000,
      },
    )
    // Clients keep connecting until node:cluster has handed connections to both workers: their
    // presence members name two nodes.
    const watcher = createClient({ url: `http://127.0.0.1:${port}/realtime`, WebSocket })
    clients.push(watcher)
    const members = watcher.subscribe('room', { merge: presenceMerge(), presence: true })
    await until(members.$state, (s) => s.status === 'live', 'the watcher live')
    const nodesSeen = () => new Set(members.$state.get().data.items.map((m) => m.connectionId.split('.')[0]))
    const subs = []
    for (let i = 0; i < 8 && nodesSeen().size < 2; i++) {
      const client = createClient({ url: `http://127.0.0.1:${port}/realtime`, WebSocket })
      clients.push(client)
      subs.push(client.subscribe('feed', { merge: numbers() }))
      client.subscribe('room', { merge: numbers() })
      client.setPresence('room', { i })
      await until(members.$state, (s) => s.data.items.length === i + 1, `member ${i}`)
    }
    expect(nodesSeen().size).toBe(2)
    for (const sub of subs) await until(sub.$state, (s) => s.status === 'live', 'live')
    for (let n = 1; n <= 20; n++) await publish(port as number, 'feed', n, `f-${n}`)
    for (const sub of subs) {
      await until(sub.$state, (s) => s.data.length === 20, 'all 20 on every worker')
      expect(sub.$state.get().data).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    }
    for (const client of clients.splice(0)) client.close()
    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
    // Each worker left the deployment on its way out.
    expect(await redis.command('ZCARD', 'sluice:nodes')).toBe(0)
  }, 60_000)
})
