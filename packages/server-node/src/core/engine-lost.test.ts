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

  it('tells a subscription still starting only when its start position is before the loss', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const { engine, inner, lost } = createEngine(() => gate)
    const runtime = createTestRuntime({ engine })
    for (let n = 1; n <= 5; n++) inner.append('covered', { kind: 'created', ts: Date.now() })
    for (let n = 1; n <= 5; n++) inner.append('beyond', { kind: 'created', ts: Date.now() })
    const covered = inner.head('covered')
    const beyond = inner.head('beyond')
    const { connection: one, sink: oneSink } = openFakeConnection(runtime)
    const { connection: two, sink: twoSink } = openFakeConnection(runtime)
    one.handleText(
      JSON.stringify({ type: 'subscribe', topic: 'covered', from: { epoch: covered.epoch, seq: 0 } }),
    )
    two.handleText('{"type":"subscribe","topic":"beyond"}')
    await vi.waitFor(() => expect(runtime.hub.subscriptionCount).toBe(2))
    // While both wait for the watch: 'covered' lost up to 2, which its replay (1..5) covers;
    // 'beyond' lost up to 7, past the head (5) its start will read.
    lost('covered', 2)
    lost('beyond', 7)
    release()
    await vi.waitFor(() => expect(framesOf(oneSink.frames(), 'event')).toHaveLength(5))
    await vi.waitFor(() => expect(framesOf(twoSink.frames(), 'resync')).toHaveLength(1))
    expect(oneSink.frames().map((frame) => frame.type)).toEqual([
      'welcome',
      'subscribed',
      'event',
      'event',
      'event',
      'event',
      'event',
    ])
    expect(twoSink.frames()).toEqual([
      expect.objectContaining({ type: 'welcome' }),
      { type: 'subscribed', topic: 'beyond', epoch: beyond.epoch, seq: 5 },
      { type: 'resync', topic: 'beyond', reason: 'too_old', epoch: beyond.epoch, seq: 7 },
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
