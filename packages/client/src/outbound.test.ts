import type { ClientFrame } from '@sluice/protocol'
import { describe, expect, test } from 'vitest'
import { createOutbound } from './outbound'

const tick = () => new Promise<void>((resolve) => queueMicrotask(resolve))
const ping = (id: string): ClientFrame => ({ type: 'ping', id })

describe('outbound', () => {
  test('frames of one tick leave together, split at maxBatch', async () => {
    const sent: string[][] = []
    const outbound = createOutbound((frames) => sent.push(frames.map((f) => (f as { id: string }).id)))
    outbound.setLimits({ maxBatch: 3, maxFrameBytes: 65_536, maxSubscriptions: 100, maxTopicLength: 200 })
    for (const id of ['a', 'b', 'c', 'd', 'e']) outbound.send(ping(id))
    expect(sent).toEqual([])
    await tick()
    outbound.send(ping('f'))
    await tick()
    expect(sent).toEqual([['a', 'b', 'c'], ['d', 'e'], ['f']])
  })

  test('splits by size so no batch goes over maxFrameBytes', async () => {
    const sent: number[] = []
    const outbound = createOutbound((frames) => sent.push(frames.length))
    outbound.setLimits({ maxBatch: 100, maxFrameBytes: 450, maxSubscriptions: 100, maxTopicLength: 200 })
    // Each frame is 44 characters, estimated at ×3 + 1 = 133 bytes: three fit in 450, four do not.
    for (let i = 0; i < 7; i++) outbound.send({ type: 'call', id: `id${i}`, name: 'procedure' })
    await tick()
    expect(sent).toEqual([3, 3, 1])
  })

  test('a frame over maxFrameBytes on its own is refused, not sent; the rest of its tick goes out', async () => {
    const sent: string[][] = []
    const refused: Array<[string, number]> = []
    const outbound = createOutbound(
      (frames) => sent.push(frames.map((f) => (f as { id: string }).id)),
      (frame, bytes) => refused.push([(frame as { id: string }).id, bytes]),
    )
    outbound.setLimits({ maxBatch: 100, maxFrameBytes: 100, maxSubscriptions: 100, maxTopicLength: 200 })
    outbound.send(ping('a'))
    // 93 bytes of JSON with 30 ASCII characters; 143 with 40 two-byte ones ('é').
    outbound.send({ type: 'publish', id: 'fits', topic: 't', kind: 'k', data: 'x'.repeat(30) })
    outbound.send({ type: 'publish', id: 'over', topic: 't', kind: 'k', data: 'é'.repeat(40) })
    outbound.send(ping('b'))
    await tick()
    expect(refused).toEqual([['over', 143]])
    // Measured exactly once its ×3 estimate (280) was over: 'fits' is sent, in a batch of its own.
    expect(sent).toEqual([['a'], ['fits'], ['b']])
  })

  test('discard drops what is queued for a transport that is gone', async () => {
    const sent: number[] = []
    const outbound = createOutbound((frames) => sent.push(frames.length))
    outbound.send(ping('a'))
    outbound.discard()
    outbound.send(ping('b'))
    await tick()
    await tick()
    expect(sent).toEqual([1])
  })
})
