import { afterEach, describe, expect, it, vi } from 'vitest'
import { createTestRuntime, openFakeConnection } from '../../test/fake-connection'
import { createMemoryEngine } from '../engine/memory'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('Hub fan-out', () => {
  it('serializes each event once for any number of subscribers', async () => {
    const runtime = createTestRuntime()
    const peers = Array.from({ length: 25 }, () => openFakeConnection(runtime))
    for (const { connection } of peers) connection.handleText('{"type":"subscribe","topic":"t"}')
    await vi.waitFor(() => expect(runtime.hub.subscriptionCount).toBe(25))
    await vi.waitFor(() =>
      expect(peers.every(({ sink }) => sink.frames().at(-1)?.type === 'subscribed')).toBe(true),
    )
    const stringify = vi.spyOn(JSON, 'stringify')
    runtime.publisher.publish('t', { kind: 'created', key: 'a', data: { big: 'x'.repeat(1000) } })
    expect(stringify).toHaveBeenCalledTimes(1)
    // Not only equal text: the very same bytes object goes to every subscriber.
    const payloads = peers.map(({ sink }) => sink.raw.at(-1))
    expect(new Set(payloads).size).toBe(1)
    expect(Buffer.isBuffer(payloads[0])).toBe(true)
    const texts = peers.map(({ sink }) => sink.sent.at(-1))
    expect(JSON.parse(texts[0] as string)).toMatchObject({ type: 'event', topic: 't', seq: 1, key: 'a' })
  })

  it('excludes the sender of an echo:false publish without encoding the event again', async () => {
    const runtime = createTestRuntime({ authorize: () => true })
    const peers = Array.from({ length: 5 }, () => openFakeConnection(runtime))
    for (const { connection } of peers) connection.handleText('{"type":"subscribe","topic":"t"}')
    await vi.waitFor(() =>
      expect(peers.every(({ sink }) => sink.frames().at(-1)?.type === 'subscribed')).toBe(true),
    )
    const [sender, ...others] = peers as [(typeof peers)[0], ...typeof peers]
    const stringify = vi.spyOn(JSON, 'stringify')
    sender.connection.handleText(
      '{"type":"publish","id":"p1","topic":"t","kind":"created","data":{"big":"yes"},"echo":false}',
    )
    await vi.waitFor(() => expect(sender.sink.frames().at(-1)?.type).toBe('ack'))
    // Once for the event (shared by the four others), once for the sender's ack.
    expect(stringify).toHaveBeenCalledTimes(2)
    expect(new Set(others.map(({ sink }) => sink.raw.at(-1))).size).toBe(1)
    expect(sender.sink.frames().slice(2)).toEqual([
      { type: 'ack', id: 'p1', topic: 't', epoch: expect.any(String), seq: 1 },
    ])
    expect(runtime.counters.delivered).toBe(4)
  })

  it('runs each subscriber filter on meta and skips non-matching subscribers', async () => {
    const runtime = createTestRuntime()
    const eu = openFakeConnection(runtime)
    const all = openFakeConnection(runtime)
    eu.connection.handleText(
      JSON.stringify({ type: 'subscribe', topic: 't', filter: { field: 'region', equals: 'eu' } }),
    )
    all.connection.handleText('{"type":"subscribe","topic":"t"}')
    await vi.waitFor(() => expect(runtime.hub.subscriptionCount).toBe(2))
    await vi.waitFor(() => expect(eu.sink.frames().at(-1)?.type).toBe('subscribed'))
    await vi.waitFor(() => expect(all.sink.frames().at(-1)?.type).toBe('subscribed'))
    for (const region of ['eu', 'us', 'eu'])
      runtime.publisher.publish('t', { kind: 'created', meta: { region } })
    const seqsOf = (frames: ReturnType<typeof eu.sink.frames>) =>
      frames.filter((f) => f.type === 'event').map((f) => (f as { seq: number }).seq)
    expect(seqsOf(eu.sink.frames())).toEqual([1, 3])
    expect(seqsOf(all.sink.frames())).toEqual([1, 2, 3])
  })

  it('tells a subscriber with resync when its topic log is replaced under it', async () => {
    const runtime = createTestRuntime({ engine: createMemoryEngine({ maxTopics: 1 }) })
    const { connection, sink } = openFakeConnection(runtime)
    connection.handleText('{"type":"subscribe","topic":"a"}')
    await vi.waitFor(() => expect(sink.frames().at(-1)?.type).toBe('subscribed'))
    const first = await runtime.publisher.publish('a', { kind: 'created' })
    await runtime.publisher.publish('b', { kind: 'created' }) // evicts the log of 'a'
    const second = await runtime.publisher.publish('a', { kind: 'created' })
    expect(second?.epoch).not.toBe(first?.epoch)
    expect(sink.frames().slice(2)).toEqual([
      expect.objectContaining({ type: 'event', epoch: first?.epoch, seq: 1 }),
      { type: 'resync', topic: 'a', reason: 'epoch_changed', epoch: second?.epoch, seq: 0 },
      expect.objectContaining({ type: 'event', epoch: second?.epoch, seq: 1 }),
    ])
  })
})
