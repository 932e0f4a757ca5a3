/**
 * Publishes with `echo: false` on two nodes sharing one Redis: the event reaches the sender's
 * node through the bus like any other (possibly after the ack), and is still not sent to the
 * sender, while the other node's subscribers get it.
 */
import type { SluiceServerOptions } from '@sluice/server-node'
import type { TestServer } from '@sluice/server-node/testing'
import { describe, expect, it } from 'vitest'
import { ofType } from '../../server-node/test/helpers'
import { serverNodes } from './server-nodes'

const nodes = serverNodes()

async function node(options: SluiceServerOptions) {
  return (await nodes.node(options)).server
}

const open = (server: TestServer, token: string) => nodes.open(server, token)

describe('publishes that exclude their sender, across nodes', () => {
  it('the sender on node A gets its ack and not the event; a subscriber on node B gets the event', async () => {
    const rules: SluiceServerOptions['rules'] = [{ topic: 'chat', subscribe: 'anyone', publish: 'anyone' }]
    const a = await node({ rules })
    const b = await node({ rules })
    const sender = await open(a, 'alice')
    const other = await open(b, 'bob')
    for (const peer of [sender, other]) {
      peer.send({ type: 'subscribe', topic: 'chat' })
      await peer.next(ofType('subscribed'))
    }
    sender.send({ type: 'publish', id: 'p1', topic: 'chat', kind: 'created', echo: false })
    expect(await sender.next(ofType('ack'))).toMatchObject({ id: 'p1', seq: 1 })
    expect(await other.next(ofType('event'))).toMatchObject({ seq: 1, publishId: 'p1' })
    other.send({ type: 'publish', id: 'p2', topic: 'chat', kind: 'created' })
    // Events of a topic arrive in seq order: once 2 is here, 1 was either sent before it or not at all.
    expect(await sender.next(ofType('event'))).toMatchObject({ seq: 2, publishId: 'p2' })
    expect(sender.frames.filter((frame) => frame.type === 'event')).toEqual([
      expect.objectContaining({ seq: 2 }),
    ])
  })
})
