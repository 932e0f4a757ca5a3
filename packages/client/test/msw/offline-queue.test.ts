import type { PublishFrame } from '@sluice/protocol'
import { describe, expect, test } from 'vitest'
import { advance, rejection, useMockNetwork } from './setup'
import { switchableNetwork } from './switchable-network'

const net = useMockNetwork()

const ids = (frames: readonly unknown[]) => frames.map((frame) => (frame as PublishFrame).id)

describe('offline queue', () => {
  test('publishes issued while offline go out on the next connection, in order, with their ids', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const network = switchableNetwork()
    const client = net.client({ environment: network.environment })
    await advance(0)
    const inFlight = client.publish('todos', { kind: 'created', key: 'a' }, { id: 'a' })
    await advance(0)
    const first = sluice.last
    expect(first.frames).toEqual([{ type: 'publish', id: 'a', topic: 'todos', kind: 'created', key: 'a' }])

    network.set(false)
    await advance(0)
    expect(client.$connection.get()).toMatchObject({ status: 'offline', error: { code: 'NETWORK' } })
    expect(first.closed).toBe(true)
    const b = client.publish('todos', { kind: 'created', key: 'b' }, { id: 'b' })
    const c = client.publish('todos', { kind: 'updated', key: 'a', data: { done: true } }, { id: 'c' })
    await advance(30_000)
    expect(sluice.connections).toHaveLength(1)

    network.set(true)
    await advance(0)
    const second = sluice.last
    expect(second).not.toBe(first)
    // The unacknowledged one first (same id: the server's dedup makes the repeat harmless).
    expect(second.messages).toHaveLength(1)
    expect(second.frames).toEqual([
      { type: 'publish', id: 'a', topic: 'todos', kind: 'created', key: 'a' },
      { type: 'publish', id: 'b', topic: 'todos', kind: 'created', key: 'b' },
      { type: 'publish', id: 'c', topic: 'todos', kind: 'updated', key: 'a', data: { done: true } },
    ])
    second.send([
      { type: 'ack', id: 'a', topic: 'todos', epoch: 'e1', seq: 1, duplicate: true },
      { type: 'ack', id: 'b', topic: 'todos', epoch: 'e1', seq: 2 },
      { type: 'ack', id: 'c', topic: 'todos', epoch: 'e1', seq: 3 },
    ])
    await expect(Promise.all([inFlight, b, c])).resolves.toEqual([
      { epoch: 'e1', seq: 1, duplicate: true },
      { epoch: 'e1', seq: 2, duplicate: false },
      { epoch: 'e1', seq: 3, duplicate: false },
    ])
  })

  test('a generated publish id survives a reconnect unchanged', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const client = net.client()
    await advance(0)
    const result = client.publish('todos', { kind: 'created' })
    await advance(0)
    const sent = ids(sluice.last.frames)
    expect(sent).toEqual([expect.any(String)])
    sluice.last.close(1006)
    await advance(250)
    expect(ids(sluice.last.frames)).toEqual(sent)
    sluice.last.send({
      type: 'ack',
      id: sent[0] as string,
      topic: 'todos',
      epoch: 'e1',
      seq: 7,
      duplicate: true,
    })
    await expect(result).resolves.toEqual({ epoch: 'e1', seq: 7, duplicate: true })
  })

  test('QUEUE_FULL beyond maxSize publishes waiting for a connection', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const network = switchableNetwork()
    const client = net.client({ environment: network.environment, offlineQueue: { maxSize: 2 } })
    await advance(0)
    network.set(false)
    const ignore = () => {}
    client.publish('t', { kind: 'x' }, { id: 'p1' }).catch(ignore)
    client.publish('t', { kind: 'x' }, { id: 'p2' }).catch(ignore)
    const error = await rejection(client.publish('t', { kind: 'x' }, { id: 'p3' }))
    expect(error).toMatchObject({
      code: 'QUEUE_FULL',
      message: 'publish p3 to t: 2 already queued',
      topic: 't',
    })
    network.set(true)
    await advance(0)
    expect(ids(sluice.last.frames)).toEqual(['p1', 'p2'])
  })

  test('QUEUE_FULL counts the unacknowledged publishes of the lost connection as waiting too', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const network = switchableNetwork()
    const client = net.client({ environment: network.environment, offlineQueue: { maxSize: 2 } })
    await advance(0)
    const ignore = () => {}
    client.publish('t', { kind: 'x' }, { id: 'sent' }).catch(ignore)
    await advance(0)
    expect(ids(sluice.last.frames)).toEqual(['sent'])
    network.set(false)
    client.publish('t', { kind: 'x' }, { id: 'queued' }).catch(ignore)
    expect((await rejection(client.publish('t', { kind: 'x' }, { id: 'over' }))).code).toBe('QUEUE_FULL')
  })

  test('STALE at exactly maxAgeMs for a publish never sent; a younger one is still sent', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const network = switchableNetwork()
    const client = net.client({ environment: network.environment, offlineQueue: { maxAgeMs: 1000 } })
    await advance(0)
    network.set(false)
    const old = rejection(client.publish('t', { kind: 'x' }, { id: 'old' }))
    let settled = false
    void old.then(() => {
      settled = true
    })
    await advance(600)
    const young = client.publish('t', { kind: 'x' }, { id: 'young' })
    await advance(399)
    expect(settled).toBe(false)
    await advance(1)
    expect(await old).toMatchObject({
      code: 'STALE',
      message: 'publish old to t: not sent in 1000 ms',
      topic: 't',
    })
    network.set(true)
    await advance(0)
    expect(ids(sluice.last.frames)).toEqual(['young'])
    sluice.last.send({ type: 'ack', id: 'young', topic: 't', epoch: 'e1', seq: 1 })
    await expect(young).resolves.toEqual({ epoch: 'e1', seq: 1, duplicate: false })
  })

  test('STALE also while reconnecting with backoff, not only while offline', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const client = net.client({ transports: ['ws'], offlineQueue: { maxAgeMs: 2000 } })
    await advance(0)
    sluice.answer('ws', 'refuse')
    sluice.last.close(1006)
    await advance(0)
    let error: unknown = null
    void rejection(client.publish('t', { kind: 'x' }, { id: 'p' })).then((e) => {
      error = e
    })
    // Retries at +250, +750 and +1750 are refused; the publish never left the queue.
    await advance(1999)
    expect(error).toBeNull()
    expect(sluice.attempts.ws).toBe(4)
    await advance(1)
    expect(error).toMatchObject({ code: 'STALE', message: 'publish p to t: not sent in 2000 ms' })
  })

  test('close() rejects queued publishes with CLOSED', async () => {
    net.sluice()
    const network = switchableNetwork()
    const client = net.client({ environment: network.environment })
    await advance(0)
    network.set(false)
    const queued = rejection(client.publish('t', { kind: 'x' }, { id: 'q' }))
    client.close()
    expect(await queued).toMatchObject({ code: 'CLOSED', message: 'publish q to t: the client was closed' })
  })
})
