import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryEngine, type MemoryEngine } from '../engine/memory'
import type { Engine } from '../engine/types'
import { Publisher } from './publish'

let engine: MemoryEngine
let publisher: Publisher
let epoch: string

beforeEach(() => {
  vi.useFakeTimers()
  engine = createMemoryEngine()
  epoch = engine.head('t').epoch
  publisher = new Publisher({
    engine,
    coalesceMs: 50,
    dedupWindow: { size: 3, ms: 1_000 },
    now: () => Date.now(),
  })
})
afterEach(() => {
  vi.useRealTimers()
})

const seqs = () => {
  const read = engine.readAfter('t', { epoch, seq: 0 })
  return read.ok ? read.events.map((e) => [e.seq, e.key]) : read
}

describe('Publisher', () => {
  it('appends in call order', async () => {
    const results = await Promise.all(
      [1, 2, 3].map((n) => publisher.publish('t', { kind: 'created', key: `k${n}` })),
    )
    expect(results).toEqual([1, 2, 3].map((seq) => ({ epoch, seq, duplicate: false })))
    expect(publisher.published).toBe(3)
  })

  it('answers a repeated id with the first position and appends once', async () => {
    const first = await publisher.publish('t', { kind: 'created', key: 'a' }, { id: 'p1' })
    const again = await publisher.publish('t', { kind: 'created', key: 'a' }, { id: 'p1' })
    expect(first).toEqual({ epoch, seq: 1, duplicate: false })
    expect(again).toEqual({ epoch, seq: 1, duplicate: true })
    expect(seqs()).toEqual([[1, 'a']])
  })

  it('scopes ids per publisher and per topic', async () => {
    await publisher.publish('t', { kind: 'created' }, { id: 'p1', scope: 'alice' })
    const other = await publisher.publish('t', { kind: 'created' }, { id: 'p1', scope: 'bob' })
    const otherTopic = await publisher.publish('u', { kind: 'created' }, { id: 'p1', scope: 'alice' })
    expect(other?.duplicate).toBe(false)
    expect(otherTopic?.duplicate).toBe(false)
  })

  it('forgets ids past the window size and age', async () => {
    for (const id of ['a', 'b', 'c', 'd']) await publisher.publish('t', { kind: 'created' }, { id })
    // size 3: 'a' was pushed out by 'd'
    expect((await publisher.publish('t', { kind: 'created' }, { id: 'a' }))?.duplicate).toBe(false)
    expect((await publisher.publish('t', { kind: 'created' }, { id: 'd' }))?.duplicate).toBe(true)
    vi.advanceTimersByTime(1_001)
    expect((await publisher.publish('t', { kind: 'created' }, { id: 'd' }))?.duplicate).toBe(false)
  })

  it('holds appends while a snapshot is taken and releases them in order', async () => {
    const release = await publisher.hold('t')
    const inner = await publisher.hold('t')
    const pending = [
      publisher.publish('t', { kind: 'created', key: 'x' }),
      publisher.publish('t', { kind: 'created', key: 'y' }),
    ]
    const other = await publisher.publish('u', { kind: 'created' })
    expect(other?.seq).toBe(1)
    expect(engine.head('t')).toEqual({ epoch, seq: 0 })
    release()
    expect(engine.head('t')).toEqual({ epoch, seq: 0 })
    inner()
    expect(await Promise.all(pending)).toEqual([
      { epoch, seq: 1, duplicate: false },
      { epoch, seq: 2, duplicate: false },
    ])
    expect(seqs()).toEqual([
      [1, 'x'],
      [2, 'y'],
    ])
  })

  it('coalesces publishes with one key into the last within the window', async () => {
    const first = publisher.publish('t', { kind: 'set', key: 'c', data: 1 }, { coalesceKey: 'cursor' })
    const second = publisher.publish('t', { kind: 'set', key: 'c', data: 2 }, { coalesceKey: 'cursor' })
    const other = publisher.publish('t', { kind: 'set', key: 'd', data: 9 }, { coalesceKey: 'other' })
    expect(await first).toBeNull()
    expect(engine.head('t')).toEqual({ epoch, seq: 0 })
    const third = publisher.publish('t', { kind: 'set', key: 'c', data: 3 }, { coalesceKey: 'cursor' })
    expect(await second).toBeNull()
    await vi.advanceTimersByTimeAsync(50)
    expect(await third).toEqual({ epoch, seq: 1, duplicate: false })
    expect(await other).toEqual({ epoch, seq: 2, duplicate: false })
    const read = engine.readAfter('t', { epoch, seq: 0 })
    expect(read.ok && read.events.map((e) => e.data)).toEqual([3, 9])
    // A new window starts after the flush.
    const later = publisher.publish('t', { kind: 'set', key: 'c', data: 4 }, { coalesceKey: 'cursor' })
    publisher.flush()
    expect(await later).toEqual({ epoch, seq: 3, duplicate: false })
  })

  it('rejects when the engine fails and lets the same id be retried', async () => {
    const failing = { ...engine, append: vi.fn(() => Promise.reject(new Error('down'))) } as Engine
    const flaky = new Publisher({
      engine: failing,
      coalesceMs: 50,
      dedupWindow: { size: 10, ms: 1_000 },
      now: Date.now,
    })
    await expect(flaky.publish('t', { kind: 'created' }, { id: 'x' })).rejects.toThrow('down')
    await expect(flaky.publish('t', { kind: 'created' }, { id: 'x' })).rejects.toThrow('down')
    expect(failing.append).toHaveBeenCalledTimes(2)
  })
})
