/**
 * The server's streams of work on two nodes of one Redis: a derived topic declared on both
 * appends each state once (its publish ids are the source positions), a node started later
 * goes on from the topic's last event, and an effect handles each event once, on the node that
 * appended it.
 */
import type { EventFrame } from '@sluice/protocol'
import { describe, expect, it } from 'vitest'
import { ofType } from '../../server-node/test/helpers'
import type { RedisEngine } from '../src/index'
import { serverNodes } from './server-nodes'

const nodes = serverNodes()

const node = (options: Parameters<typeof nodes.node>[0] = {}) => nodes.node(options)

const count = { from: 'votes', initial: 0, reduce: (total: number) => total + 1 }

async function derivedLog(engine: RedisEngine) {
  const head = await engine.head('votes:count')
  const read = await engine.readAfter('votes:count', { epoch: head.epoch, seq: 0 })
  if (!read.ok) throw new Error(`the log of votes:count is not readable: ${read.reason}`)
  return read.events.map((event) => event.data)
}

describe('streams of work on many nodes', () => {
  it('appends each state of a derived topic once when every node derives it, and a later node goes on from it', async () => {
    const one = await node()
    const two = await node()
    await Promise.all([one, two].map(({ server }) => server.server.derive('votes:count', count).ready))
    const peer = await nodes.open(two.server)
    peer.send({ type: 'subscribe', id: 's', topic: 'votes:count' })
    await peer.next(ofType('subscribed'))
    for (let n = 0; n < 6; n++)
      await (n % 2 === 0 ? one : two).server.server.publish('votes', { kind: 'created' })
    await peer.next(ofType('event', (frame) => frame.data === 6))
    expect(await derivedLog(one.engine)).toEqual([1, 2, 3, 4, 5, 6])

    // A node that starts now restores 6 from the last event and counts on.
    const three = await node()
    const derived = three.server.server.derive('votes:count', count)
    await derived.ready
    expect(derived.state()).toBe(6)
    await three.server.server.publish('votes', { kind: 'created' })
    await peer.next(ofType('event', (frame) => frame.data === 7))
    expect(await derivedLog(three.engine)).toEqual([1, 2, 3, 4, 5, 6, 7])
    const events = peer.frames.filter((frame): frame is EventFrame => frame.type === 'event')
    expect(events.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7])
  })

  it('runs an effect once per event, on the node that appended it', async () => {
    const handled: string[] = []
    const effects = (name: string) => [
      {
        topic: 'orders:*',
        handler: (event: EventFrame) => void handled.push(`${name} ${event.topic}#${event.seq}`),
      },
    ]
    const one = await node({ effects: effects('one') })
    const two = await node({ effects: effects('two') })
    await one.server.server.publish('orders:eu', { kind: 'created' })
    await two.server.server.publish('orders:eu', { kind: 'created' })
    await two.server.server.publish('orders:us', { kind: 'created' })
    await Promise.all([one, two].map(({ server }) => server.close()))
    expect(handled.sort()).toEqual(['one orders:eu#1', 'two orders:eu#2', 'two orders:us#1'])
  })
})
