import type { ServerFrame } from '@sluice/protocol'
import { describe, expect, it } from 'vitest'
import { createMemoryEngine } from '../src/engine/memory'
import type { TestServer } from '../src/testing'
import { ofType, serverPerTest } from './helpers'

const fixture = serverPerTest()
let t: TestServer | undefined

async function open() {
  return (await fixture.open()).peer
}

async function publishMany(server: TestServer['server'], topic: string, count: number) {
  let last: { epoch: string; seq: number } | null = null
  for (let n = 0; n < count; n++) last = await server.publish(topic, { kind: 'created', key: `k${n}` })
  return last as { epoch: string; seq: number }
}

const eventSeqs = (frames: ServerFrame[]) =>
  frames.filter((f) => f.type === 'event').map((f) => (f as { seq: number }).seq)
const kinds = (frames: ServerFrame[]) => frames.filter((f) => f.type !== 'welcome').map((f) => f.type)

describe('replay', () => {
  it('replays from a position with no gap and no duplicate while publishes race the resume', async () => {
    t = await fixture.start()
    const { epoch } = await publishMany(t.server, 'feed', 20)
    const server = t.server
    let publishing = true
    let published = 20
    // Publishes keep landing on every turn of the event loop while the subscribe is served.
    const publisher = (async () => {
      while (publishing) {
        await server.publish('feed', { kind: 'created', key: `live${published}` })
        published++
        if (published % 5 === 0) await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    const peer = await open()
    peer.send({ type: 'subscribe', id: 'r', topic: 'feed', from: { epoch, seq: 5 } })
    const subscribed = (await peer.next(ofType('subscribed'))) as { seq: number; epoch: string }
    expect(subscribed.epoch).toBe(epoch)
    expect(subscribed.seq).toBeGreaterThanOrEqual(20)
    await peer.collect(ofType('event'), 100)
    publishing = false
    await publisher
    await peer.collect(ofType('event'), published - 5)
    expect(eventSeqs(peer.frames)).toEqual(Array.from({ length: published - 5 }, (_, i) => i + 6))
    expect(kinds(peer.frames)[0]).toBe('subscribed')
  })

  it('replays with the filter applied and an empty replay when up to date', async () => {
    t = await fixture.start()
    for (const region of ['eu', 'us', 'eu', 'us'])
      await t.server.publish('r', { kind: 'created', meta: { region } })
    const { epoch } = (await t.server.publish('r', { kind: 'created', meta: { region: 'eu' } })) as {
      epoch: string
    }
    const peer = await open()
    peer.send({
      type: 'subscribe',
      topic: 'r',
      from: { epoch, seq: 1 },
      filter: { field: 'region', equals: 'eu' },
    })
    await peer.collect(ofType('event'), 2)
    expect(eventSeqs(peer.frames)).toEqual([3, 5])
    const upToDate = await open()
    upToDate.send({ type: 'subscribe', topic: 'r', from: { epoch, seq: 5 } })
    expect(await upToDate.next(ofType('subscribed'))).toMatchObject({ seq: 5 })
    await t.server.publish('r', { kind: 'created' })
    expect(await upToDate.next(ofType('event'))).toMatchObject({ seq: 6 })
    expect(kinds(upToDate.frames)).toEqual(['subscribed', 'event'])
  })

  it('resyncs with too_old when the position was evicted, with a snapshot when asked', async () => {
    t = await fixture.start({
      engine: createMemoryEngine({ maxEvents: 5 }),
      snapshot: (topic) => (topic === 'list' ? { items: 10 } : null),
    })
    const { epoch } = await publishMany(t.server, 'list', 10)
    const plain = await open()
    plain.send({ type: 'subscribe', id: 'a', topic: 'list', from: { epoch, seq: 2 } })
    await plain.next(ofType('resync'))
    expect(plain.frames.slice(1)).toEqual([
      { type: 'subscribed', id: 'a', topic: 'list', epoch, seq: 10, resync: 'too_old' },
      { type: 'resync', topic: 'list', reason: 'too_old', epoch, seq: 10 },
    ])
    const withSnapshot = await open()
    withSnapshot.send({
      type: 'subscribe',
      id: 'b',
      topic: 'list',
      from: { epoch, seq: 2 },
      snapshot: 'resync',
    })
    await withSnapshot.next(ofType('snapshot'))
    await t.server.publish('list', { kind: 'created' })
    await withSnapshot.next(ofType('event'))
    expect(withSnapshot.frames.slice(1)).toEqual([
      { type: 'subscribed', id: 'b', topic: 'list', epoch, seq: 10, resync: 'too_old', snapshot: true },
      { type: 'resync', topic: 'list', reason: 'too_old', epoch, seq: 10 },
      { type: 'snapshot', topic: 'list', epoch, seq: 10, data: { items: 10 } },
      expect.objectContaining({ type: 'event', seq: 11 }),
    ])
    // seq 5 is the oldest one still needed (6..10 are kept): a plain replay.
    const edge = await open()
    edge.send({ type: 'subscribe', topic: 'list', from: { epoch, seq: 6 }, snapshot: 'resync' })
    await edge.collect(ofType('event'), 5)
    expect(kinds(edge.frames)).toEqual(['subscribed', 'event', 'event', 'event', 'event', 'event'])
  })

  it('resyncs with epoch_changed and ahead, carrying the current epoch and head', async () => {
    t = await fixture.start()
    const { epoch } = await publishMany(t.server, 'x', 3)
    const peer = await open()
    peer.send({ type: 'subscribe', id: 'e', topic: 'x', from: { epoch: 'previous-life', seq: 3 } })
    expect(await peer.next(ofType('resync'))).toEqual({
      type: 'resync',
      topic: 'x',
      reason: 'epoch_changed',
      epoch,
      seq: 3,
    })
    const ahead = await open()
    ahead.send({ type: 'subscribe', id: 'a', topic: 'x', from: { epoch, seq: 9 } })
    expect(await ahead.next(ofType('resync'))).toEqual({
      type: 'resync',
      topic: 'x',
      reason: 'ahead',
      epoch,
      seq: 3,
    })
  })

  it("replays rather than sending a snapshot when the position is replayable, even with snapshot 'always'", async () => {
    t = await fixture.start({ snapshot: () => ['a', 'b'] })
    const { epoch } = await publishMany(t.server, 's', 2)
    const peer = await open()
    peer.send({ type: 'subscribe', topic: 's', from: { epoch, seq: 1 }, snapshot: 'always' })
    await peer.next(ofType('event'))
    await t.server.publish('s', { kind: 'created', key: 'live' })
    await peer.next(ofType('event', (f) => f.key === 'live'))
    expect(kinds(peer.frames)).toEqual(['subscribed', 'event', 'event'])
    expect(eventSeqs(peer.frames)).toEqual([2, 3])
    const fresh = await open()
    fresh.send({ type: 'subscribe', topic: 's', snapshot: 'always', presence: true })
    await fresh.next(ofType('presence'))
    expect(fresh.frames.slice(1)).toEqual([
      { type: 'subscribed', topic: 's', epoch, seq: 3, snapshot: true },
      { type: 'snapshot', topic: 's', epoch, seq: 3, data: ['a', 'b'] },
      { type: 'presence', topic: 's', action: 'sync', members: [] },
    ])
  })
})

describe('snapshot flag on subscribed', () => {
  it('is absent when the provider has no value, so the client does not wait for a snapshot', async () => {
    t = await fixture.start({ snapshot: (topic) => (topic === 'with' ? ['x'] : null) })
    const { epoch } = await publishMany(t.server, 'without', 1)
    const peer = await open()
    peer.send({ type: 'subscribe', id: 'n', topic: 'without', snapshot: 'always', presence: true })
    await peer.next(ofType('presence'))
    expect(peer.frames.slice(1)).toEqual([
      { type: 'subscribed', id: 'n', topic: 'without', epoch, seq: 1 },
      { type: 'presence', topic: 'without', action: 'sync', members: [] },
    ])
  })
})

describe('opening frames of a flow', () => {
  it('sends subscribed, resync and snapshot as one WebSocket batch, so a client never goes live in between', async () => {
    t = await fixture.start({ snapshot: () => ['fresh'] })
    const { epoch } = await publishMany(t.server, 'b', 2)
    const peer = await open()
    peer.send({ type: 'subscribe', id: 'r', topic: 'b', from: { epoch: 'gone', seq: 9 }, snapshot: 'resync' })
    await peer.next(ofType('snapshot'))
    expect(JSON.parse(peer.messages.at(-1) as string)).toEqual([
      { type: 'subscribed', id: 'r', topic: 'b', epoch, seq: 2, resync: 'epoch_changed', snapshot: true },
      { type: 'resync', topic: 'b', reason: 'epoch_changed', epoch, seq: 2 },
      { type: 'snapshot', topic: 'b', epoch, seq: 2, data: ['fresh'] },
    ])
  })

  it('sends a lone subscribed as a plain frame', async () => {
    t = await fixture.start()
    const { epoch } = await publishMany(t.server, 'c', 1)
    const peer = await open()
    peer.send({ type: 'subscribe', topic: 'c' })
    await peer.next(ofType('subscribed'))
    expect(JSON.parse(peer.messages.at(-1) as string)).toEqual({
      type: 'subscribed',
      topic: 'c',
      epoch,
      seq: 1,
    })
  })
})

describe('snapshot consistency', () => {
  it('holds publishes while an async provider runs: snapshot at H, then exactly the events after H', async () => {
    const items: string[] = []
    let releaseProvider!: () => void
    const providerGate = new Promise<void>((resolve) => {
      releaseProvider = resolve
    })
    let providerStarted!: () => void
    const started = new Promise<void>((resolve) => {
      providerStarted = resolve
    })
    t = await fixture.start({
      snapshot: async () => {
        const state = [...items]
        providerStarted()
        await providerGate
        return state
      },
    })
    const server = t.server
    const add = (item: string) => {
      items.push(item)
      return server.publish('board', { kind: 'created', key: item })
    }
    await add('a')
    await add('b')
    const peer = await open()
    peer.send({ type: 'subscribe', id: 's', topic: 'board', snapshot: 'always' })
    await started
    const during = [add('c'), add('d'), add('e')]
    // The provider is still running: the three publishes are held, not yet in the log.
    expect(server.stats().eventsPublished).toBe(2)
    releaseProvider()
    const positions = await Promise.all(during)
    expect(positions.map((p) => p?.seq)).toEqual([3, 4, 5])
    await peer.collect(ofType('event'), 3)
    const epoch = positions[0]?.epoch
    expect(peer.frames.slice(1)).toEqual([
      { type: 'subscribed', id: 's', topic: 'board', epoch, seq: 2, snapshot: true },
      { type: 'snapshot', topic: 'board', epoch, seq: 2, data: ['a', 'b'] },
      expect.objectContaining({ type: 'event', seq: 3, key: 'c' }),
      expect.objectContaining({ type: 'event', seq: 4, key: 'd' }),
      expect.objectContaining({ type: 'event', seq: 5, key: 'e' }),
    ])
  })

  it('fails the subscribe with INTERNAL when the provider throws, reports it, and releases the topic', async () => {
    const errors: unknown[] = []
    t = await fixture.start({
      snapshot: () => {
        throw new Error('db down')
      },
      onError: (error) => void errors.push(error),
    })
    const peer = await open()
    peer.send({ type: 'subscribe', id: 's', topic: 'broken', snapshot: 'always' })
    expect(await peer.next(ofType('error'))).toEqual({
      type: 'error',
      id: 's',
      code: 'INTERNAL',
      message: 'internal server error',
      topic: 'broken',
    })
    expect(errors).toEqual([new Error('db down')])
    expect(await t.server.publish('broken', { kind: 'created' })).toMatchObject({ seq: 1 })
    expect(t.server.stats().subscriptions).toBe(0)
  })
})
