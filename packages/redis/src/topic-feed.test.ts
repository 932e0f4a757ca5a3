import type { EventFrame } from '@sluice/protocol'
import type { LostEvents, ReadResult } from '@sluice/server-node'
import { describe, expect, it, vi } from 'vitest'
import { TopicFeed } from './topic-feed'

const body = (n: number) => JSON.stringify({ kind: 'created', key: String(n), ts: 1 })
const event = (epoch: string, seq: number): EventFrame => ({
  type: 'event',
  topic: 't',
  epoch,
  seq,
  kind: 'created',
  key: String(seq),
  ts: 1,
})

function setup(reads: Array<ReadResult | Error>) {
  const seen: Array<number | string> = []
  const lost: LostEvents[] = []
  const froms: Array<{ epoch: string; seq: number }> = []
  const feed = new TopicFeed('t', {
    read: vi.fn(async (_topic: string, from: { epoch: string; seq: number }) => {
      froms.push(from)
      const next = reads.shift()
      if (next === undefined) throw new Error('no read expected')
      if (next instanceof Error) throw next
      return next
    }),
    event: (e) => seen.push(e.epoch === 'e1' ? e.seq : `${e.epoch}:${e.seq}`),
    lost: (_topic, l) => lost.push(l),
    retryMs: 100,
    report: () => {},
  })
  return { feed, seen, lost, froms }
}

describe('TopicFeed', () => {
  it('delivers bus events after the head in order and drops what it already delivered', () => {
    const { feed, seen } = setup([])
    feed.offer('e1', 4, body(4)) // before start: queued
    feed.start('e1', 3)
    feed.offer('e1', 4, body(4))
    feed.offer('e1', 5, body(5))
    expect(seen).toEqual([4, 5])
  })

  it('fills a gap from the log, then goes on with what queued meanwhile', async () => {
    const { feed, seen, froms } = setup([
      { ok: true, epoch: 'e1', head: 4, events: [event('e1', 2), event('e1', 3), event('e1', 4)] },
    ])
    feed.start('e1', 1)
    feed.offer('e1', 4, body(4))
    feed.offer('e1', 5, body(5)) // arrives while the log is read
    await vi.waitFor(() => expect(seen).toEqual([2, 3, 4, 5]))
    expect(froms).toEqual([{ epoch: 'e1', seq: 1 }])
  })

  it('reports too_old when the log no longer holds the missed events, and goes on after the head', async () => {
    const { feed, seen, lost } = setup([{ ok: false, reason: 'too_old', epoch: 'e1', head: 6 }])
    feed.start('e1', 1)
    feed.offer('e1', 6, body(6))
    await vi.waitFor(() => expect(lost).toEqual([{ reason: 'too_old', epoch: 'e1', seq: 6 }]))
    feed.offer('e1', 6, body(6))
    feed.offer('e1', 7, body(7))
    expect(seen).toEqual([7])
  })

  it('reports epoch_changed for a message of another log, and drops a late message of the old one', async () => {
    const { feed, seen, lost, froms } = setup([
      { ok: false, reason: 'epoch_changed', epoch: 'e2', head: 1 },
      { ok: true, epoch: 'e2', head: 1, events: [] },
    ])
    feed.start('e1', 5)
    feed.offer('e2', 1, body(1))
    await vi.waitFor(() => expect(lost).toEqual([{ reason: 'epoch_changed', epoch: 'e2', seq: 1 }]))
    // A late message of the replaced log: the log is asked, and says nothing was missed.
    feed.offer('e1', 6, body(6))
    feed.offer('e2', 2, body(2))
    await vi.waitFor(() => expect(seen).toEqual(['e2:2']))
    expect(froms).toEqual([
      { epoch: 'e1', seq: 5 },
      { epoch: 'e2', seq: 1 },
    ])
  })

  it('retries a failed read after retryMs, queueing bus messages meanwhile', async () => {
    vi.useFakeTimers()
    try {
      const { feed, seen } = setup([
        new Error('down'),
        { ok: true, epoch: 'e1', head: 3, events: [event('e1', 2), event('e1', 3)] },
      ])
      feed.start('e1', 1)
      feed.offer('e1', 3, body(3))
      await vi.advanceTimersByTimeAsync(0)
      feed.offer('e1', 4, body(4))
      expect(seen).toEqual([])
      await vi.advanceTimersByTimeAsync(100)
      expect(seen).toEqual([2, 3, 4])
    } finally {
      vi.useRealTimers()
    }
  })

  it('runs one more catch-up when asked again while one runs', async () => {
    let release: (value: ReadResult) => void = () => {}
    const first = new Promise<ReadResult>((resolve) => {
      release = resolve
    })
    const reads: Array<Promise<ReadResult> | ReadResult> = [
      first,
      { ok: true, epoch: 'e1', head: 3, events: [event('e1', 3)] },
    ]
    const seen: number[] = []
    const feed = new TopicFeed('t', {
      read: async () => (await reads.shift()) as ReadResult,
      event: (e) => seen.push(e.seq),
      lost: () => {},
      retryMs: 100,
      report: () => {},
    })
    feed.start('e1', 1)
    feed.fill()
    feed.fill() // the bus reconnected while the first read ran
    release({ ok: true, epoch: 'e1', head: 2, events: [event('e1', 2)] })
    await vi.waitFor(() => expect(seen).toEqual([2, 3]))
  })
})
