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
