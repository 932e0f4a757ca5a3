import { describe, expect, it } from 'vitest'
import { createMemoryEngine } from '../engine/memory'
import { readHistoryPage } from './history-page'

function engineWith(count: number, options: Parameters<typeof createMemoryEngine>[0] = {}) {
  // A clock at 0 keeps every event (ts 1..count) young: only the count evicts.
  const engine = createMemoryEngine({ now: () => 0, ...options })
  for (let i = 1; i <= count; i++) engine.append('t', { kind: 'created', key: `k${i}`, ts: i })
  return { engine, epoch: engine.head('t').epoch }
}

const seqs = (page: { events: Array<{ seq: number }> }) => page.events.map((event) => event.seq)

describe('readHistoryPage', () => {
  it('pages through a log: each next cursor starts the following page, the last page has none', async () => {
    const { engine, epoch } = engineWith(5)
    const first = await readHistoryPage(engine, 't', undefined, 2)
    expect(first).toMatchObject({ topic: 't', epoch, head: 5, next: `${epoch}:2` })
    expect(seqs(first)).toEqual([1, 2])
    const second = await readHistoryPage(engine, 't', { epoch, seq: 2 }, 2)
    expect([seqs(second), second.next]).toEqual([[3, 4], `${epoch}:4`])
    const last = await readHistoryPage(engine, 't', { epoch, seq: 4 }, 2)
    expect([seqs(last), last.next]).toEqual([[5], null])
    expect(last.events[0]).toEqual({
      type: 'event',
      topic: 't',
      epoch,
      seq: 5,
      kind: 'created',
      key: 'k5',
      ts: 5,
    })
  })

  it('a page that ends exactly at the head has no next cursor', async () => {
    const { engine, epoch } = engineWith(4)
    const page = await readHistoryPage(engine, 't', { epoch, seq: 2 }, 2)
    expect([seqs(page), page.next]).toEqual([[3, 4], null])
  })

  it('an empty log: no events, head 0, no cursor', async () => {
    const { engine, epoch } = engineWith(0)
    expect(await readHistoryPage(engine, 't', undefined, 10)).toEqual({
      topic: 't',
      epoch,
      head: 0,
      events: [],
      next: null,
    })
  })

  it('without a position, starts at the oldest event the ring still holds (evicted by count)', async () => {
    const { engine, epoch } = engineWith(20, { maxEvents: 3 })
    const page = await readHistoryPage(engine, 't', undefined, 2)
    expect([seqs(page), page.next, page.head]).toEqual([[18, 19], `${epoch}:19`, 20])
  })

  it('without a position, starts at the oldest event the ring still holds (evicted by age)', async () => {
    let now = 0
    const engine = createMemoryEngine({ maxAgeMs: 1_000, now: () => now })
    for (let i = 1; i <= 9; i++) {
      now = i * 100
      engine.append('t', { kind: 'created', ts: now })
    }
    now = 1_650 // events at 100..600 are over a second old
    expect(seqs(await readHistoryPage(engine, 't', undefined, 100))).toEqual([7, 8, 9])
  })

  it('finds the oldest position in about log2(head) reads', async () => {
    const { engine } = engineWith(1_000, { maxEvents: 10 })
    let reads = 0
    const counted = {
      head: (topic: string) => engine.head(topic),
      readAfter: (topic: string, from: { epoch: string; seq: number }) => {
        reads++
        return engine.readAfter(topic, from)
      },
    }
    const page = await readHistoryPage(counted, 't', undefined, 100)
    expect(seqs(page)).toEqual([991, 992, 993, 994, 995, 996, 997, 998, 999, 1000])
    // The first read (from 0), one at the head, then a bisection of 1000 positions.
    expect(reads).toBe(2 + Math.ceil(Math.log2(1_000)))
  })

  it('a position the log cannot serve answers the resync reason, with the current epoch and head', async () => {
    const { engine, epoch } = engineWith(20, { maxEvents: 3 })
    const base = { topic: 't', epoch, head: 20, events: [], next: null }
    expect(await readHistoryPage(engine, 't', { epoch, seq: 5 }, 10)).toEqual({ ...base, resync: 'too_old' })
    expect(await readHistoryPage(engine, 't', { epoch, seq: 21 }, 10)).toEqual({ ...base, resync: 'ahead' })
    expect(await readHistoryPage(engine, 't', { epoch: 'other', seq: 5 }, 10)).toEqual({
      ...base,
      resync: 'epoch_changed',
    })
  })
})
