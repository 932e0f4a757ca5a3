import type { ServerFrame } from '@sluice/protocol'
import { describe, expect, it } from 'vitest'
import { createMemoryEngine } from '../src/engine/memory'
import type { TestServer } from '../src/testing'
import { ofType, serverPerTest } from './helpers'

// PROTOCOL.md § Subscribe flows, flow 6: `rewind: N` delivers the last N events of the log, and
// `subscribed.rewind` says how many positions that was, also when the log held fewer.
const fixture = serverPerTest()

async function publishMany(server: TestServer['server'], topic: string, count: number, region = 'eu') {
  let last = { epoch: '', seq: 0 }
  for (let n = 0; n < count; n++) {
    last = (await server.publish(topic, { kind: 'created', key: `k${n}`, meta: { region } })) as typeof last
  }
  return last
}

const opening = (frames: ServerFrame[]) =>
  frames
    .filter((f) => f.type !== 'welcome')
    .map((f) =>
      f.type === 'event' ? `event ${f.seq}` : f.type === 'subscribed' ? `subscribed ${f.seq}` : f.type,
    )

describe('subscribe with rewind', () => {
  it('delivers the last N events, then live ones, and says N in subscribed', async () => {
    const t = await fixture.start()
    const { epoch } = await publishMany(t.server, 'chat', 10)
    const { peer } = await fixture.open()
    peer.send({ type: 'subscribe', id: 's1', topic: 'chat', rewind: 3 })
    expect(await peer.next(ofType('subscribed'))).toEqual({
      type: 'subscribed',
      id: 's1',
      topic: 'chat',
      epoch,
      seq: 10,
      rewind: 3,
    })
    await peer.collect(ofType('event'), 3)
    await t.server.publish('chat', { kind: 'created', key: 'live' })
    await peer.collect(ofType('event'), 4)
    expect(opening(peer.frames)).toEqual(['subscribed 10', 'event 8', 'event 9', 'event 10', 'event 11'])
  })

  it('says rewind: 2 when a young log holds 2 of the 5 events asked for, and 0 for an empty log', async () => {
    const t = await fixture.start()
    await publishMany(t.server, 'young', 2)
    const { peer } = await fixture.open()
    peer.send({ type: 'subscribe', topic: 'young', rewind: 5 })
    expect(await peer.next(ofType('subscribed'))).toMatchObject({ seq: 2, rewind: 2 })
    await peer.collect(ofType('event'), 2)
    peer.send({ type: 'subscribe', id: 'e', topic: 'empty', rewind: 5 })
    expect(await peer.next(ofType('subscribed', (f) => f.topic === 'empty'))).toMatchObject({
      id: 'e',
      seq: 0,
      rewind: 0,
    })
    await t.server.publish('empty', { kind: 'created' })
    await peer.next(ofType('event', (f) => f.topic === 'empty'))
    expect(opening(peer.frames)).toEqual(['subscribed 2', 'event 1', 'event 2', 'subscribed 0', 'event 1'])
  })

  it('delivers what the ring still holds when it evicted part of the rewind, and says how much', async () => {
    const t = await fixture.start({ engine: createMemoryEngine({ maxEvents: 4 }) })
    await publishMany(t.server, 'feed', 10)
    const { peer } = await fixture.open()
    peer.send({ type: 'subscribe', topic: 'feed', rewind: 8 })
    expect(await peer.next(ofType('subscribed'))).toMatchObject({ seq: 10, rewind: 4 })
    await peer.collect(ofType('event'), 4)
    expect(opening(peer.frames)).toEqual(['subscribed 10', 'event 7', 'event 8', 'event 9', 'event 10'])
  })

  it('applies the filter to the rewound positions: fewer events than positions', async () => {
    const t = await fixture.start()
    await publishMany(t.server, 'r', 2, 'us')
    await publishMany(t.server, 'r', 2, 'eu')
    const { peer } = await fixture.open()
    peer.send({ type: 'subscribe', topic: 'r', rewind: 3, filter: { field: 'region', equals: 'eu' } })
    expect(await peer.next(ofType('subscribed'))).toMatchObject({ seq: 4, rewind: 3 })
    await t.server.publish('r', { kind: 'created', meta: { region: 'eu' } })
    await peer.collect(ofType('event'), 3)
    expect(opening(peer.frames)).toEqual(['subscribed 4', 'event 3', 'event 4', 'event 5'])
  })

  it('refuses rewind with from (BAD_REQUEST) and over MAX_REWIND (LIMIT_EXCEEDED), naming the field', async () => {
    await fixture.start()
    const { peer } = await fixture.open()
    peer.send({ type: 'subscribe', id: 'a', topic: 'chat', from: { epoch: 'e1', seq: 1 }, rewind: 2 })
    expect(await peer.next(ofType('error', (f) => f.id === 'a'))).toMatchObject({
      code: 'BAD_REQUEST',
      field: 'rewind',
    })
    peer.send({ type: 'subscribe', id: 'b', topic: 'chat', rewind: 1001 })
    expect(await peer.next(ofType('error', (f) => f.id === 'b'))).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      field: 'rewind',
    })
    expect(peer.frames.filter((f) => f.type === 'subscribed')).toEqual([])
  })
})
