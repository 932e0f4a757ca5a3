/**
 * The history check: the promise that every event reaches each store exactly once and in order,
 * tested the hard way. A publisher sends 10,000 numbered events across 5 topics while the test
 * cuts every TCP connection of the server at random moments, and for stretches refuses
 * WebSocket upgrades so the client falls back to SSE and later probes its way back. The drop
 * pattern comes from a seeded random source; the seed is printed, and SLUICE_HISTORY_SEED
 * replays a run.
 */
import { createMemoryEngine } from '@sluice/server-node'
import { expect, test } from 'vitest'
import WebSocket from 'ws'
import { createClient } from '../../src/client'
import type { TransportKind } from '../../src/connection-state'
import { custom } from '../../src/merge/custom'
import { seededRandom, sleep, startDroppableServer, until } from './harness'

const TOPICS = ['h0', 'h1', 'h2', 'h3', 'h4']
const EVENTS = 10_000
const CHUNK = 40
const MIN_DROPS = 50

test('10,000 events across 5 topics, ≥ 50 real connection drops on both transports: each store gets every event once, in order', async () => {
  const seed = Number(process.env.SLUICE_HISTORY_SEED ?? 20_261_125)
  const random = seededRandom(seed)
  // The ring must hold a whole topic's history: this test is about replay, not about resync.
  const server = await startDroppableServer({ engine: createMemoryEngine({ maxEvents: EVENTS + 1 }) })
  const client = createClient({
    url: server.url,
    WebSocket,
    backoff: { baseMs: 10, factor: 2, maxMs: 80 },
    probeIntervalMs: 50,
    // Its own stream, so the topic and drop pattern does not depend on how often the client drew.
    random: seededRandom(seed + 1),
  })
  const resyncs: string[] = []
  const subs = TOPICS.map((topic) =>
    client.subscribe(topic, {
      merge: custom<number[]>((seen, event) => [...seen, event.data as number], []),
      onResync: (reason) => resyncs.push(`${topic}:${reason}`),
    }),
  )
  try {
    await Promise.all(
      subs.map((sub, i) => until(sub.$state, (s) => s.status === 'live', `${TOPICS[i]} live`)),
    )

    const published = new Map(TOPICS.map((topic) => [topic, 0]))
    const dropsBy: Record<TransportKind, number> = { ws: 0, sse: 0 }
    let drops = 0
    const chunks = EVENTS / CHUNK
    for (let chunk = 0; chunk < chunks; chunk++) {
      // Stretches without WebSocket: reconnects fall back to SSE; afterwards the probe moves back.
      if (chunk === 40 || chunk === 150) server.refuseWebSocket(true)
      if (chunk === 90 || chunk === 200) {
        server.refuseWebSocket(false)
        await until(
          client.$connection,
          (s) => s.status === 'open' && s.transport === 'ws',
          'the probe to move back to ws',
        )
      }
      for (let i = 0; i < CHUNK; i++) {
        const topic = TOPICS[Math.floor(random() * TOPICS.length)] as string
        const n = (published.get(topic) ?? 0) + 1
        published.set(topic, n)
        await server.sluice.publish(topic, { kind: 'created', key: String(n), data: n })
      }
      if (chunk % 4 === 1) {
        // Drop while events are still in flight: wait for an open connection, then a random moment.
        const state = await until(client.$connection, (s) => s.status === 'open', 'an open connection')
        await sleep(Math.floor(random() * 4))
        if (server.drop() > 0) {
          drops++
          dropsBy[state.transport as TransportKind]++
          // The next drop must hit the next connection, not this one before the client noticed.
          await until(client.$connection, (s) => s.status !== 'open', 'the client to notice the drop')
        }
      }
    }

    // A last event per topic closes its stream: a lost, repeated or reordered event would stand
    // before it, so once it has arrived the store can be compared whole, with no waiting on luck.
    await Promise.all(
      subs.map(async (sub, i) => {
        const topic = TOPICS[i] as string
        const last = (published.get(topic) ?? 0) + 1
        await server.sluice.publish(topic, { kind: 'created', key: String(last), data: last })
        return until(sub.$state, (s) => s.data.at(-1) === last, `${topic} to reach event ${last}`, 30_000)
      }),
    )
    let checked = 0
    for (const [i, sub] of subs.entries()) {
      const topic = TOPICS[i] as string
      const count = published.get(topic) ?? 0
      const expected = Array.from({ length: count + 1 }, (_, k) => k + 1)
      expect(sub.$state.get().data).toEqual(expected)
      checked += count
    }
    console.log(
      `history check (seed ${seed}): ${checked} events checked in ${TOPICS.length} stores ` +
        `(${TOPICS.map((t) => `${t}=${published.get(t)}`).join(', ')}), ${drops} drops ` +
        `(ws ${dropsBy.ws}, sse ${dropsBy.sse}), resyncs ${resyncs.length}`,
    )
    expect(checked).toBe(EVENTS)
    expect(drops).toBeGreaterThanOrEqual(MIN_DROPS)
    expect(dropsBy.ws).toBeGreaterThan(0)
    expect(dropsBy.sse).toBeGreaterThan(0)
    expect(resyncs).toEqual([])
  } finally {
    client.close()
    await server.close()
  }
}, 120_000)

test('publishes from a client across 20 real drops: every publish acknowledged, every event once, in order', async () => {
  const seed = Number(process.env.SLUICE_HISTORY_SEED ?? 20_261_125)
  const random = seededRandom(seed + 2)
  const total = 2000
  // Rate limiting is the subject of its own tests; here it would only slow the run down.
  const server = await startDroppableServer({
    engine: createMemoryEngine({ maxEvents: total + 1 }),
    rateLimit: false,
    rules: [{ topic: '**', subscribe: 'anyone', publish: 'anyone' }],
  })
  const options = {
    url: server.url,
    WebSocket,
    backoff: { baseMs: 10, factor: 2, maxMs: 80 },
    probeIntervalMs: 50,
  }
  const publisher = createClient({ ...options, random: seededRandom(seed + 3) })
  const reader = createClient({ ...options, random: seededRandom(seed + 4) })
  const sub = reader.subscribe('pub', {
    merge: custom<number[]>((seen, event) => [...seen, event.data as number], []),
  })
  try {
    await until(sub.$state, (s) => s.status === 'live', 'the reader live')
    const acks: Array<Promise<{ seq: number; duplicate: boolean }>> = []
    let drops = 0
    for (let n = 1; n <= total; n++) {
      acks.push(publisher.publish('pub', { kind: 'created', data: n }))
      if (n % 100 === 0) {
        // Cut while this chunk's publishes and acks are on the wire.
        await sleep(Math.floor(random() * 3))
        if (server.drop() > 0) {
          drops++
          await until(publisher.$connection, (s) => s.status !== 'open', 'the publisher to notice the drop')
        }
        await until(publisher.$connection, (s) => s.status === 'open', 'the publisher back')
      }
    }
    const results = await Promise.all(acks)
    // A closing event from the server: anything repeated or out of order would precede it.
    await server.sluice.publish('pub', { kind: 'created', data: total + 1 })
    const final = await until(sub.$state, (s) => s.data.at(-1) === total + 1, `event ${total + 1}`, 30_000)
    expect(final.data).toEqual(Array.from({ length: total + 1 }, (_, k) => k + 1))
    // Each publish landed once: the acknowledged positions are exactly 1..total.
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: total }, (_, k) => k + 1),
    )
    const duplicates = results.filter((r) => r.duplicate).length
    console.log(
      `publish check (seed ${seed}): ${total} publishes acknowledged (${duplicates} as duplicates of a resend), ` +
        `${final.data.length - 1} events received in order, ${drops} drops`,
    )
    expect(drops).toBeGreaterThanOrEqual(15)
  } finally {
    publisher.close()
    reader.close()
    await server.close()
  }
}, 120_000)
