import { encodeSubscriptionsParam, type ServerFrame } from '@sluice/protocol'
import { describe, expect, it } from 'vitest'
import { ofType, postCommands, SsePeer, serverPerTest, type WsPeer } from './helpers'

// Publishes with `echo: false` (PROTOCOL.md § Publishing): every subscriber but the publishing
// connection gets the event; the publisher gets its ack.
const fixture = serverPerTest()
const byToken = ({ token }: { token?: string | undefined }) => (token ? { id: token } : null)
const rules = [{ topic: 'chat', subscribe: 'anyone' as const, publish: 'anyone' as const }]
const after = (peer: { frames: ServerFrame[] }, type: ServerFrame['type']) =>
  peer.frames.slice(peer.frames.findIndex((frame) => frame.type === type) + 1)
const seqs = (frames: ServerFrame[]) =>
  frames.filter((frame) => frame.type === 'event').map((frame) => (frame as { seq: number }).seq)

async function subscribed(peer: WsPeer, from?: { epoch: string; seq: number }) {
  peer.send(
    from === undefined ? { type: 'subscribe', topic: 'chat' } : { type: 'subscribe', topic: 'chat', from },
  )
  return (await peer.next(ofType('subscribed'))) as Extract<ServerFrame, { type: 'subscribed' }>
}

describe('publish with echo: false', () => {
  it('reaches every subscriber but its sender, the same identity’s other connections included; the sender gets its ack', async () => {
    await fixture.start({ authenticate: byToken, rules })
    const { peer: sender } = await fixture.open('v=1&token=alice')
    const { peer: sameIdentity } = await fixture.open('v=1&token=alice')
    const { peer: other } = await fixture.open('v=1&token=bob')
    const { epoch } = await subscribed(sender)
    await subscribed(sameIdentity)
    await subscribed(other)
    sender.send({ type: 'publish', id: 'p1', topic: 'chat', kind: 'created', key: 'm1', echo: false })
    expect(await sender.next(ofType('ack'))).toEqual({ type: 'ack', id: 'p1', topic: 'chat', epoch, seq: 1 })
    sender.send({ type: 'publish', id: 'p2', topic: 'chat', kind: 'created', key: 'm2' })
    await sender.next(ofType('ack'))
    // The memory engine delivers inside the append, so the default echo comes before its ack.
    expect(after(sender, 'subscribed')).toEqual([
      { type: 'ack', id: 'p1', topic: 'chat', epoch, seq: 1 },
      expect.objectContaining({ type: 'event', seq: 2, key: 'm2', publishId: 'p2' }),
      { type: 'ack', id: 'p2', topic: 'chat', epoch, seq: 2 },
    ])
    for (const peer of [sameIdentity, other]) {
      await peer.collect(ofType('event'), 2)
      expect(after(peer, 'subscribed')).toEqual([
        expect.objectContaining({ type: 'event', seq: 1, key: 'm1', publishId: 'p1' }),
        expect.objectContaining({ type: 'event', seq: 2, key: 'm2', publishId: 'p2' }),
      ])
    }
  })

  it('stays excluded from a replay on the same connection, not from another connection', async () => {
    await fixture.start({ authenticate: byToken, rules })
    const { peer: sender } = await fixture.open('v=1&token=alice')
    const { epoch } = await subscribed(sender)
    sender.send([
      { type: 'publish', id: 'p1', topic: 'chat', kind: 'created', echo: false },
      { type: 'publish', id: 'p2', topic: 'chat', kind: 'created' },
    ])
    await sender.collect(ofType('ack'), 2)
    // A re-subscribe from before both events (a new filter, say) replays only the other one.
    sender.send({
      type: 'subscribe',
      topic: 'chat',
      from: { epoch, seq: 0 },
      filter: { not: { field: 'x', exists: true } },
    })
    await sender.collect(ofType('subscribed'), 2)
    await sender.collect(ofType('event'), 2)
    expect(seqs(sender.frames)).toEqual([2, 2])
    const { peer: later } = await fixture.open('v=1&token=alice')
    await subscribed(later, { epoch, seq: 0 })
    await later.collect(ofType('event'), 2)
    expect(seqs(later.frames)).toEqual([1, 2])
  })

  it('excludes the original event of a retry answered duplicate from then on', async () => {
    await fixture.start({ authenticate: byToken, rules })
    const { peer: sender } = await fixture.open('v=1&token=alice')
    const frame = { type: 'publish', id: 'p1', topic: 'chat', kind: 'created' } as const
    sender.send(frame)
    const ack = await sender.next(ofType('ack'))
    sender.send({ ...frame, echo: false })
    expect(await sender.next(ofType('ack'))).toEqual({ ...ack, duplicate: true })
    const { epoch } = ack as { epoch: string }
    const opened = await subscribed(sender, { epoch, seq: 0 })
    expect(opened).toMatchObject({ epoch, seq: 1 })
    sender.send({ type: 'publish', id: 'p2', topic: 'chat', kind: 'created' })
    await sender.next(ofType('event'))
    expect(seqs(sender.frames)).toEqual([2])
  })

  it('leaves nothing behind when the publish is refused: a later event with that id is delivered', async () => {
    const t = await fixture.start({
      authenticate: byToken,
      rules: [{ topic: 'chat', subscribe: 'anyone', publish: 'authenticated' }],
    })
    const { peer } = await fixture.open()
    await subscribed(peer)
    peer.send({ type: 'publish', id: 'p1', topic: 'chat', kind: 'created', echo: false })
    expect(await peer.next(ofType('error'))).toMatchObject({ id: 'p1', code: 'FORBIDDEN' })
    await t.server.publish('chat', { kind: 'created' }, { id: 'p1' })
    expect(await peer.next(ofType('event'))).toMatchObject({ seq: 1, publishId: 'p1' })
  })

  it('works over SSE: the stream gets the ack of a command POST, not the event', async () => {
    const t = await fixture.start({ authenticate: byToken, rules })
    const { peer: watcher } = await fixture.open('v=1&token=bob')
    await subscribed(watcher)
    const subscriptions = encodeSubscriptionsParam([{ topic: 'chat' }])
    const { peer, welcome } = await SsePeer.open(t.url, `v=1&token=alice&subscriptions=${subscriptions}`)
    if (!peer || !welcome) throw new Error('the SSE stream did not open')
    try {
      const { epoch } = (await peer.next(ofType('subscribed'))) as { epoch: string }
      const publish = { type: 'publish', id: 'p1', topic: 'chat', kind: 'created', echo: false }
      expect(await postCommands(t.url, welcome, publish)).toEqual({ status: 202, body: { accepted: 1 } })
      expect(await peer.next(ofType('ack'))).toEqual({ type: 'ack', id: 'p1', topic: 'chat', epoch, seq: 1 })
      expect(await watcher.next(ofType('event'))).toMatchObject({ seq: 1, publishId: 'p1' })
      await t.server.publish('chat', { kind: 'updated' })
      expect(await peer.next(ofType('event'))).toMatchObject({ seq: 2, kind: 'updated' })
      expect(seqs(peer.frames)).toEqual([2])
    } finally {
      await peer.close()
    }
  })
})
