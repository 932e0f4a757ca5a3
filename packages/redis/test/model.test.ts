/**
 * A model test: random sequences of appends, retried publishes, reads after a position and bus
 * cuts, run against two Redis engine nodes and against the memory engine as the model. Both must
 * answer alike (seqs, duplicates, reads), and every node's listener must end with the model's
 * log exactly: once each, in order, nothing lost to the cuts.
 */
import type { Engine } from '@sluice/server-node'
import { createMemoryEngine } from '@sluice/server-node'
import fc from 'fast-check'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { collect } from '../../server-node/test/engine-contract'
import { createRedisEngine, type RedisEngine } from '../src/index'
import { type RedisServer, startRedisServer } from './redis-server'

const TOPICS = ['m0', 'm1'] as const

type Command =
  | { type: 'append'; node: 0 | 1; topic: 0 | 1; id: number | null }
  | { type: 'read'; node: 0 | 1; topic: 0 | 1; back: number }
  | { type: 'cut'; node: 0 | 1 }

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('append' as const),
      node: fc.constantFrom(0 as const, 1 as const),
      topic: fc.constantFrom(0 as const, 1 as const),
      // A small pool of ids, so retries of one publish (on either node) are common.
      id: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('read' as const),
      node: fc.constantFrom(0 as const, 1 as const),
      topic: fc.constantFrom(0 as const, 1 as const),
      back: fc.integer({ min: 0, max: 8 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('cut' as const),
      node: fc.constantFrom(0 as const, 1 as const),
    }),
  },
)

let redis: RedisServer
let run = 0

beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  await redis.stop()
})

it('two Redis nodes answer like the memory engine, and every node sees the model log once, in order', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
      const prefix = `model${++run}`
      const nodes: RedisEngine[] = [0, 1].map(() =>
        createRedisEngine({ url: redis.url, prefix, onError: () => {}, reconnectDelay: () => 10 }),
      )
      const model: Engine = createMemoryEngine({ maxEvents: 1000 })
      try {
        await Promise.all(nodes.map((node) => node.ready()))
        const seen = nodes.map((node) => collect(node))
        for (const node of nodes) for (const topic of TOPICS) await node.watch(topic)
        const dedup = (id: number) => ({ key: `p\u0000${id}`, windowMs: 60_000, windowSize: 1000 })

        for (const step of commands) {
          const topic = TOPICS[step.type === 'cut' ? 0 : step.topic] as string
          const node = nodes[step.node] as RedisEngine
          if (step.type === 'append') {
            const input = { kind: 'created', key: `${step.id ?? 'x'}`, ts: Date.now() }
            const options = step.id === null ? undefined : dedup(step.id)
            const real = await node.append(topic, input, options)
            const expected = await model.append(topic, input, options)
            const seqOf = (r: typeof real) => (r.duplicate ? r.seq : r.event.seq)
            expect([real.duplicate, seqOf(real)]).toEqual([expected.duplicate, seqOf(expected)])
          } else if (step.type === 'read') {
            const modelHead = await model.head(topic)
            const realHead = await node.head(topic)
            expect(realHead.seq).toBe(modelHead.seq)
            const from = Math.max(0, modelHead.seq - step.back)
            const real = await node.readAfter(topic, { epoch: realHead.epoch, seq: from })
            const expected = await model.readAfter(topic, { epoch: modelHead.epoch, seq: from })
            const shape = (r: typeof real) => (r.ok ? r.events.map((e) => [e.seq, e.key]) : r.reason)
            expect(shape(real)).toEqual(shape(expected))
          } else {
            // The bus of a node cut just before may still be reconnecting: cut it once it is back.
            let subscriber = -1
            await vi.waitFor(async () => {
              subscriber = (await node.clientIds()).subscriber
              expect(subscriber).toBeGreaterThan(0)
            })
            await redis.command('CLIENT', 'KILL', 'ID', String(subscriber))
          }
        }

        for (const topic of TOPICS) {
          const { epoch, seq } = await model.head(topic)
          const read = await model.readAfter(topic, { epoch, seq: 0 })
          const log = read.ok ? read.events.map((e) => [e.seq, e.key]) : []
          expect(log).toHaveLength(seq)
          for (const node of seen) {
            await vi.waitFor(() => expect(node.events.filter((e) => e.topic === topic)).toHaveLength(seq))
            expect(node.events.filter((e) => e.topic === topic).map((e) => [e.seq, e.key])).toEqual(log)
          }
        }
        for (const node of seen) expect(node.lost).toEqual([])
      } finally {
        await Promise.all(nodes.map((node) => node.close()))
      }
    }),
    { numRuns: 50 },
  )
}, 120_000)
