// Frames of one SSE stream leave in the order the server wrote them. On a plain chunked response
// shared event frames go to the socket directly; text frames (subscribed, resync, presence)
// must not be overtaken by them, or the subscribe flow's seam guarantee breaks on SSE.
import { describe, expect, it } from 'vitest'
import { ofType, postCommands, SsePeer, serverPerTest } from './helpers'

const fixture = serverPerTest()

describe('SSE frame order', () => {
  it('a replay follows its subscribed frame, and presence follows its sync', async () => {
    const t = await fixture.start()
    const first = await t.server.publish('feed', { kind: 'created', key: '1' })
    await t.server.publish('feed', { kind: 'created', key: '2' })
    await t.server.publish('feed', { kind: 'created', key: '3' })
    const { peer, welcome } = await SsePeer.open(t.url, 'v=1')
    if (!peer || !welcome) throw new Error('the stream did not open')
    try {
      await postCommands(t.url, welcome, [
        { type: 'subscribe', id: 's', topic: 'feed', from: { epoch: first?.epoch ?? '', seq: 0 } },
        { type: 'subscribe', id: 'p', topic: 'room', presence: true },
        { type: 'setPresence', id: 'j', topic: 'room', state: { name: 'ada' } },
      ])
      await peer.collect(ofType('event'), 3)
      await peer.collect(
        ofType('presence', (f) => f.action === 'join'),
        1,
      )
      const order = peer.frames
        .filter((f) => f.type !== 'welcome' && f.type !== 'ack')
        .map((f) => {
          if (f.type === 'event') return `event ${f.key}`
          if (f.type === 'presence') return `presence ${f.action}`
          return `${f.type} ${'topic' in f ? f.topic : ''}`
        })
      const feed = order.filter((line) => line.startsWith('event') || line === 'subscribed feed')
      expect(feed).toEqual(['subscribed feed', 'event 1', 'event 2', 'event 3'])
      const room = order.filter((line) => line.startsWith('presence') || line === 'subscribed room')
      expect(room).toEqual(['subscribed room', 'presence sync', 'presence join'])
    } finally {
      peer.close()
    }
  })
})
