import type { HistoryPageFrame } from '@sluice/protocol'
import { describe, expect, it } from 'vitest'
import { createMemoryEngine } from '../src/engine/memory'
import type { TestServer } from '../src/testing'
import { ofType, serverPerTest } from './helpers'

// The `history` command (PROTOCOL.md § history): pages of the log before a position, with a
// documented end when the log no longer reaches that far.
const fixture = serverPerTest()

async function publishMany(server: TestServer['server'], topic: string, count: number, region = 'eu') {
  let epoch = ''
  for (let n = 0; n < count; n++) {
    ;({ epoch } = (await server.publish(topic, { kind: 'created', key: `k${n}`, meta: { region } })) as {
      epoch: string
    })
  }
  return epoch
}

const summary = (page: HistoryPageFrame) => ({
  seqs: page.events.map((event) => event.seq),
  hasMore: page.hasMore,
  next: page.next,
  end: page.end,
})

describe('history', () => {
  it('pages back through the log to its first event, then says log_start', async () => {
    const t = await fixture.start()
    const epoch = await publishMany(t.server, 'chat', 7)
    const { peer } = await fixture.open()
    const page = async (id: string, seq: number) => {
      peer.send({ type: 'history', id, topic: 'chat', before: { epoch, seq }, limit: 3 })
      return (await peer.next(ofType('history', (f) => f.id === id))) as HistoryPageFrame
    }
    const first = await page('h1', 8)
    expect(first).toMatchObject({ type: 'history', id: 'h1', topic: 'chat', epoch })
    expect(first.events[0]).toMatchObject({ type: 'event', topic: 'chat', epoch, seq: 5, key: 'k4' })
    expect(summary(first)).toEqual({ seqs: [5, 6, 7], hasMore: true, next: 5, end: undefined })
    expect(summary(await page('h2', 5))).toEqual({ seqs: [2, 3, 4], hasMore: true, next: 2, end: undefined })
    expect(summary(await page('h3', 2))).toEqual({
      seqs: [1],
      hasMore: false,
      next: undefined,
      end: 'log_start',
    })
  })

  it('ends with too_old and what the ring still holds when it evicted the rest', async () => {
    const t = await fixture.start({ engine: createMemoryEngine({ maxEvents: 4 }) })
    const epoch = await publishMany(t.server, 'feed', 10)
    const { peer } = await fixture.open()
    peer.send({ type: 'history', id: 'h', topic: 'feed', before: { epoch, seq: 9 }, limit: 5 })
    const page = (await peer.next(ofType('history'))) as HistoryPageFrame
    expect(summary(page)).toEqual({ seqs: [7, 8], hasMore: false, next: undefined, end: 'too_old' })
  })

  it('answers epoch_changed for a position of another log, and ahead past the head', async () => {
    const t = await fixture.start()
    const epoch = await publishMany(t.server, 'chat', 2)
    const { peer } = await fixture.open()
    peer.send({ type: 'history', id: 'other', topic: 'chat', before: { epoch: 'gone', seq: 2 } })
    peer.send({ type: 'history', id: 'ahead', topic: 'chat', before: { epoch, seq: 9 } })
    const other = (await peer.next(ofType('history', (f) => f.id === 'other'))) as HistoryPageFrame
    const ahead = (await peer.next(ofType('history', (f) => f.id === 'ahead'))) as HistoryPageFrame
    expect(other).toEqual({
      type: 'history',
      id: 'other',
      topic: 'chat',
      epoch,
      events: [],
      hasMore: false,
      end: 'epoch_changed',
    })
    expect(summary(ahead)).toEqual({ seqs: [], hasMore: false, next: undefined, end: 'ahead' })
  })

  it("filters the page like the connection's subscription to the topic", async () => {
    const t = await fixture.start()
    await publishMany(t.server, 'r', 2, 'us')
    const epoch = await publishMany(t.server, 'r', 2, 'eu')
    const { peer } = await fixture.open()
    peer.send({ type: 'subscribe', id: 's', topic: 'r', filter: { field: 'region', equals: 'eu' } })
    await peer.next(ofType('subscribed'))
    peer.send({ type: 'history', id: 'h', topic: 'r', before: { epoch, seq: 5 } })
    const page = (await peer.next(ofType('history'))) as HistoryPageFrame
    expect(summary(page)).toEqual({ seqs: [3, 4], hasMore: false, next: undefined, end: 'log_start' })
  })

  it('is authorized as a subscribe: FORBIDDEN where subscribing is', async () => {
    const t = await fixture.start({ authorize: (_identity, _topic, action) => action !== 'subscribe' })
    const epoch = await publishMany(t.server, 'secret', 1)
    const { peer } = await fixture.open()
    peer.send({ type: 'history', id: 'h', topic: 'secret', before: { epoch, seq: 2 } })
    expect(await peer.next(ofType('error'))).toMatchObject({ id: 'h', code: 'FORBIDDEN', topic: 'secret' })
    expect(peer.frames.filter((f) => f.type === 'history')).toEqual([])
  })

  it('refuses a page over MAX_HISTORY_PAGE with LIMIT_EXCEEDED naming limit', async () => {
    await fixture.start()
    const { peer } = await fixture.open()
    peer.send({ type: 'history', id: 'h', topic: 'chat', before: { epoch: 'e1', seq: 500 }, limit: 101 })
    expect(await peer.next(ofType('error'))).toMatchObject({
      id: 'h',
      code: 'LIMIT_EXCEEDED',
      field: 'limit',
    })
  })
})
