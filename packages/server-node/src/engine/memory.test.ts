import { EPOCH_PATTERN, type EventFrame } from '@sluice/protocol'
import { describe, expect, it, vi } from 'vitest'
import { createMemoryEngine } from './memory'
import type { AppendResult } from './types'

const input = (n: number, ts = Date.now()) => ({ kind: 'created', key: String(n), data: { n }, ts })

/** The appended event, for appends made without a dedup key. */
function appended(result: AppendResult): EventFrame {
  if (result.duplicate) throw new Error('unexpected duplicate')
  return result.event
}

describe('createMemoryEngine', () => {
  it('numbers events from 1 per topic under one epoch per log', () => {
    const engine = createMemoryEngine({ now: () => 10 })
    const a1 = appended(engine.append('a', input(1, 5)))
    const a2 = appended(engine.append('a', input(2)))
    const b1 = appended(engine.append('b', input(1)))
    expect([a1.seq, a2.seq, b1.seq]).toEqual([1, 2, 1])
    expect(a1.epoch).toBe(a2.epoch)
    expect(a1.epoch).not.toBe(b1.epoch)
    expect(a1.epoch).toMatch(EPOCH_PATTERN)
    expect(a1).toEqual({
      type: 'event',
      topic: 'a',
      epoch: a1.epoch,
      seq: 1,
      kind: 'created',
      key: '1',
      data: { n: 1 },
      ts: 5,
    })
    expect(engine.head('a')).toEqual({ epoch: a1.epoch, seq: 2 })
  })

  it('gives an empty log seq 0 and a stable epoch', () => {
    const engine = createMemoryEngine()
    const head = engine.head('x')
    expect(head.seq).toBe(0)
    expect(engine.head('x')).toEqual(head)
  })

  it('reads the events after a position, in order', () => {
    const engine = createMemoryEngine()
    for (let n = 1; n <= 5; n++) engine.append('t', input(n))
    const { epoch } = engine.head('t')
    const read = engine.readAfter('t', { epoch, seq: 2 })
    expect(read.ok && read.events.map((e) => e.seq)).toEqual([3, 4, 5])
    expect(engine.readAfter('t', { epoch, seq: 5 })).toEqual({ ok: true, epoch, head: 5, events: [] })
  })

  it('answers epoch_changed, ahead and too_old', () => {
    const engine = createMemoryEngine({ maxEvents: 3 })
    for (let n = 1; n <= 6; n++) engine.append('t', input(n))
    const { epoch } = engine.head('t')
    expect(engine.readAfter('t', { epoch: 'other', seq: 1 })).toEqual({
      ok: false,
      reason: 'epoch_changed',
      epoch,
      head: 6,
    })
    expect(engine.readAfter('t', { epoch, seq: 7 })).toEqual({ ok: false, reason: 'ahead', epoch, head: 6 })
    // Events 4..6 are kept: resuming from 3 works, from 2 would need the evicted event 3.
    const fromThree = engine.readAfter('t', { epoch, seq: 3 })
    expect(fromThree.ok && fromThree.events.map((e) => e.seq)).toEqual([4, 5, 6])
    expect(engine.readAfter('t', { epoch, seq: 2 })).toEqual({ ok: false, reason: 'too_old', epoch, head: 6 })
  })

  it('evicts events older than maxAgeMs, keeping the head', () => {
    let now = 1_000
    const engine = createMemoryEngine({ maxAgeMs: 100, now: () => now })
    engine.append('t', input(1, 1_000))
    engine.append('t', input(2, 1_050))
    const { epoch } = engine.head('t')
    now = 1_120
    const read = engine.readAfter('t', { epoch, seq: 1 })
    expect(read.ok && read.events.map((e) => e.seq)).toEqual([2])
    expect(engine.readAfter('t', { epoch, seq: 0 })).toMatchObject({ ok: false, reason: 'too_old' })
    now = 1_200
    expect(engine.readAfter('t', { epoch, seq: 2 })).toEqual({ ok: true, epoch, head: 2, events: [] })
    expect(engine.readAfter('t', { epoch, seq: 1 })).toMatchObject({ ok: false, reason: 'too_old', head: 2 })
  })

  it('drops the least recently written log past maxTopics, which then restarts with a new epoch', () => {
    const engine = createMemoryEngine({ maxTopics: 2 })
    const first = appended(engine.append('a', input(1)))
    engine.append('b', input(1))
    engine.append('a', input(2))
    engine.append('c', input(1))
    expect(engine.head('a')).toEqual({ epoch: first.epoch, seq: 2 })
    const b = engine.head('b')
    expect(b.seq).toBe(0)
  })

  it('notifies listeners synchronously, in append order', () => {
    const engine = createMemoryEngine()
    const seen: number[] = []
    const stop = engine.subscribe({ event: (e) => seen.push(e.seq), presence: vi.fn(), identity: vi.fn(), lost: vi.fn() })
    engine.append('t', input(1))
    engine.append('t', input(2))
    expect(seen).toEqual([1, 2])
    stop()
    engine.append('t', input(3))
    expect(seen).toEqual([1, 2])
  })

  it('keeps presence members and reports join, update and leave', () => {
    const engine = createMemoryEngine()
    const presence = vi.fn()
    engine.subscribe({ event: vi.fn(), presence, identity: vi.fn(), lost: vi.fn() })
    const member = { connectionId: 'c1', identity: 'u1', state: { typing: false } }
    engine.setPresence('room', member)
    engine.setPresence('room', { ...member, state: { typing: true } })
    expect(engine.presence('room')).toEqual([{ connectionId: 'c1', identity: 'u1', state: { typing: true } }])
    engine.removePresence('room', 'c1')
    engine.removePresence('room', 'c1')
    expect(engine.presence('room')).toEqual([])
    expect(presence.mock.calls.map(([change]) => change.action)).toEqual(['join', 'update', 'leave'])
  })
})
