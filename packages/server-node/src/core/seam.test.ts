import type { EventFrame } from '@sluice/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createTestRuntime, openFakeConnection } from '../../test/fake-connection'
import { createMemoryEngine } from '../engine/memory'
import type { Engine, EngineListener } from '../engine/types'

// A networked engine, simulated: reads answer after a few microtasks and notifications arrive
// late (but in order), which is what a Redis engine does. The seam guarantee must hold anyway.
function createLaggingEngine(lags: () => number): Engine {
  const inner = createMemoryEngine()
  const listeners = new Set<EngineListener>()
  const outbox: EventFrame[] = []
  let draining = false
  const later = async <T>(value: T): Promise<T> => {
    for (let i = lags(); i > 0; i--) await Promise.resolve()
    return value
  }
  const drain = async () => {
    if (draining) return
    draining = true
    while (outbox.length > 0) {
      await later(undefined)
      const event = outbox.shift() as EventFrame
      for (const listener of listeners) listener.event(event)
    }
    draining = false
  }
  inner.subscribe({
    event: (event) => {
      outbox.push(event)
      void drain()
    },
    presence: () => {},
    identity: () => {},
    lost: () => {},
    sseCommands: () => ({ status: 404, body: null }),
  })
  return {
    append: (topic, event, dedup) => inner.append(topic, event, dedup),
    head: (topic) => later(inner.head(topic)),
    readAfter: (topic, from) => later(inner.readAfter(topic, from)),
    subscribe: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    setPresence: (topic, member) => inner.setPresence(topic, member),
    removePresence: (topic, id) => inner.removePresence(topic, id),
    presence: (topic) => later(inner.presence(topic)),
    sendToIdentity: () => {},
    watch: () => {},
    unwatch: () => {},
    hold: () => () => {},
    status: () => 'up',
    close: () => {},
  }
}

const settle = async () => {
  for (let i = 0; i < 200; i++) await Promise.resolve()
}

describe('the replay/live seam', () => {
  it('delivers exactly the events after the start position, once and in order, whatever the interleaving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 15 }), // events before the subscribe
        fc.integer({ min: 0, max: 20 }), // events racing the subscribe
        fc.nat(), // where the client resumes from, as a fraction of the first count
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 40 }), // lag pattern
        fc.boolean(), // resume (from) or fresh subscribe
        async (before, racing, fromSeed, lagPattern, resume) => {
          let tick = 0
          const engine = createLaggingEngine(() => lagPattern[tick++ % lagPattern.length] as number)
          const runtime = createTestRuntime({ engine })
          for (let n = 0; n < before; n++) runtime.publisher.publish('t', { kind: 'created' })
          await settle()
          const epoch = (await engine.head('t')).epoch
          const fromSeq = before === 0 ? 0 : fromSeed % (before + 1)
          const { connection, sink } = openFakeConnection(runtime)
          connection.handleText(
            JSON.stringify(
              resume
                ? { type: 'subscribe', topic: 't', from: { epoch, seq: fromSeq } }
                : { type: 'subscribe', topic: 't' },
            ),
          )
          for (let n = 0; n < racing; n++) {
            runtime.publisher.publish('t', { kind: 'created' })
            for (let i = lagPattern[n % lagPattern.length] as number; i > 0; i--) await Promise.resolve()
          }
          await settle()
          const frames = sink.frames()
          const subscribed = frames.find((f) => f.type === 'subscribed') as { seq: number }
          const seqs = frames.filter((f) => f.type === 'event').map((f) => (f as { seq: number }).seq)
          const start = resume ? fromSeq : subscribed.seq
          const total = before + racing
          expect(seqs).toEqual(Array.from({ length: total - start }, (_, i) => start + i + 1))
        },
      ),
      { numRuns: 150 },
    )
  })
})
