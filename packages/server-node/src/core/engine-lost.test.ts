import type { ServerFrame } from '@sluice/protocol'
import { describe, expect, it, vi } from 'vitest'
import { createTestRuntime, openFakeConnection } from '../../test/fake-connection'
import { createMemoryEngine } from '../engine/memory'
import type { Engine, EngineListener } from '../engine/types'
import { ServerError } from '../server-error'

// The memory engine with a handle on what a networked engine does on its own: report events
// lost on the way to this node, and fail (or hold up) the watch of a topic.
function createEngine(watch: (topic: string) => void | Promise<void> = () => {}) {
  const inner = createMemoryEngine()
  const listeners: EngineListener[] = []
  const engine: Engine = {
    ...inner,
    subscribe(listener) {
      listeners.push(listener)
      return inner.subscribe(listener)
    },
    watch,
  }
  const lost = (
    topic: string,
    seq: number,
    reason: 'too_old' | 'epoch_changed' = 'too_old',
    epoch?: string,
  ) => {
    for (const listener of listeners)
      listener.lost(topic, { reason, epoch: epoch ?? inner.head(topic).epoch, seq })
  }
  return { engine, inner, lost }
}

const framesOf = (sent: ServerFrame[], type: string) => sent.filter((frame) => frame.type === type)

describe('events lost on the way to this node', () => {
  it('tells a live subscription to resync at the position named, then goes on after it', async () => {
    const { engine, inner, lost } = createEngine()
    const runtime = createTestRuntime({ engine })
    const { connection, sink } = openFakeConnection(runtime)
    connection.handleText('{"type":"subscribe","topic":"t"}')
    await vi.waitFor(() => expect(framesOf(sink.frames(), 'subscribed')).toHaveLength(1))
    const { epoch } = inner.head('t')
    // The engine's log moved on to 3 without this node seeing 1..3.
    for (let n = 1; n <= 3; n++) inner.append('t', { kind: 'created', ts: Date.now() })
    const seen = sink.frames().length
    lost('t', 3)
    runtime.publisher.publish('t', { kind: 'created', key: 'after' })
    await vi.waitFor(() => expect(sink.frames().length).toBe(seen + 2))
    expect(sink.frames().slice(seen)).toEqual([
      { type: 'resync', topic: 't', reason: 'too_old', epoch, seq: 3 },
      expect.objectContaining({ type: 'event', topic: 't', epoch, seq: 4, key: 'after' }),
    ])
  })

  it('tells a subscription still starting about a loss reported after its start was read, not before', async () => {
    let openWatch: () => void = () => {}
    const watchGate = new Promise<void>((resolve) => {
      openWatch = resolve
    })
    let openPresence: () => void = () => {}
    const presenceGate = new Promise<void>((resolve) => {
      openPresence = resolve
    })
    const { engine, inner, lost } = createEngine(() => watchGate)
    // The presence list answers late: the flow of a presence subscription waits for it after
    // reading its start position, which leaves room for a loss reported after that read.
    engine.presence = (topic) => presenceGate.then(() => inner.presence(topic))
    const runtime = createTestRuntime({ engine })
    for (const topic of ['before', 'after']) {
      for (let n = 1; n <= 5; n++) inner.append(topic, { kind: 'created', ts: Date.now() })
    }
    const { connection: one, sink: oneSink } = openFakeConnection(runtime)
    const { connection: two, sink: twoSink } = openFakeConnection(runtime)
    one.handleText('{"type":"subscribe","topic":"before"}')
    two.handleText('{"type":"subscribe","topic":"after","presence":true}')
    await vi.waitFor(() => expect(runtime.hub.subscriptionCount).toBe(2))
    // Reported while both wait for the watch, before either reads its start: the read, made
    // after it, already reflects the loss.
    lost('before', 7)
    openWatch()
    await vi.waitFor(() => expect(framesOf(oneSink.frames(), 'subscribed')).toHaveLength(1))
    await vi.waitFor(() => expect(framesOf(twoSink.frames(), 'subscribed')).toHaveLength(1))
    // 'after' read its start (head 5) and waits for the presence list: a loss now is newer.
    lost('after', 7)
    openPresence()
    await vi.waitFor(() => expect(framesOf(twoSink.frames(), 'resync')).toHaveLength(1))
    const { epoch } = inner.head('after')
    expect(twoSink.frames().slice(1)).toEqual([
      { type: 'subscribed', topic: 'after', epoch, seq: 5 },
      { type: 'presence', topic: 'after', action: 'sync', members: [] },
      { type: 'resync', topic: 'after', reason: 'too_old', epoch, seq: 7 },
    ])
    expect(oneSink.frames().slice(1)).toEqual([
      { type: 'subscribed', topic: 'before', epoch: inner.head('before').epoch, seq: 5 },
    ])
  })
})

describe('a watch the engine cannot start', () => {
  it('answers the subscribe with the engine error, and the next subscribe watches anew', async () => {
    const watch = vi
      .fn<(topic: string) => Promise<void>>()
      .mockRejectedValueOnce(
        new ServerError('UNAVAILABLE', 'the engine cannot reach Redis; subscribing to t failed', {
          retryAfterMs: 1000,
          topic: 't',
        }),
      )
      .mockResolvedValue(undefined)
    const { engine } = createEngine(watch)
    const runtime = createTestRuntime({ engine })
    const { connection, sink } = openFakeConnection(runtime)
    connection.handleText('{"type":"subscribe","id":"s1","topic":"t"}')
    await vi.waitFor(() => expect(framesOf(sink.frames(), 'error')).toHaveLength(1))
    expect(framesOf(sink.frames(), 'error')).toEqual([
      {
        type: 'error',
        id: 's1',
        code: 'UNAVAILABLE',
        message: 'the engine cannot reach Redis; subscribing to t failed',
        topic: 't',
        retryAfterMs: 1000,
      },
    ])
    expect(runtime.hub.subscriptionCount).toBe(0)
    connection.handleText('{"type":"subscribe","id":"s2","topic":"t"}')
    await vi.waitFor(() => expect(framesOf(sink.frames(), 'subscribed')).toHaveLength(1))
    expect(watch).toHaveBeenCalledTimes(2)
  })
})
