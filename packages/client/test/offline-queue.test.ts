/**
 * The offline queue, on the in-process fake server: publishes wait for a connection (offline,
 * or reconnecting with backoff) up to `offlineQueue.maxSize` and `maxAgeMs`, and go out on the
 * next connection after the unacknowledged ones of the lost connection, with their ids. The
 * basics (QUEUE_FULL, STALE while offline, a sent publish never STALE) are in commands.test.ts.
 */
import type { PublishFrame } from '@sluice/protocol'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import type { ClientError } from '../src/client-error'
import { advance, setup, useFakeTime } from './helpers'

beforeEach(useFakeTime)
afterEach(() => {
  vi.useRealTimers()
})

const ids = (frames: readonly unknown[]) => frames.map((frame) => (frame as PublishFrame).id)

async function rejection(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise
  } catch (error) {
    return error as ClientError
  }
  throw new Error('expected a rejection')
}

describe('offline queue', () => {
  test('publishes issued while offline go out on the next connection, in order, with their ids', async () => {
    const { server, client } = setup({}, { welcome: { heartbeatMs: 1_000_000 } })
    await advance(0)
    const inFlight = client.publish('todos', { kind: 'created', key: 'a' }, { id: 'a' })
    await advance(0)
    const first = server.last
    expect(first.frames).toEqual([{ type: 'publish', id: 'a', topic: 'todos', kind: 'created', key: 'a' }])

    server.setOnline(false)
    await advance(0)
    expect(client.$connection.get()).toMatchObject({ status: 'offline', error: { code: 'NETWORK' } })
    expect(first.closed).toBe(true)
    const b = client.publish('todos', { kind: 'created', key: 'b' }, { id: 'b' })
    const c = client.publish('todos', { kind: 'updated', key: 'a', data: { done: true } }, { id: 'c' })
    await advance(30_000)
    expect(server.connections).toHaveLength(1)

    server.setOnline(true)
    await advance(0)
    const second = server.last
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
    client.close()
  })

  test('QUEUE_FULL counts the unacknowledged publishes of the lost connection as waiting too', async () => {
    const { server, client } = setup(
      { offlineQueue: { maxSize: 2 } },
      { welcome: { heartbeatMs: 1_000_000 } },
    )
    await advance(0)
    const ignore = () => {}
    client.publish('t', { kind: 'x' }, { id: 'sent' }).catch(ignore)
    await advance(0)
    expect(ids(server.last.frames)).toEqual(['sent'])
    server.setOnline(false)
    client.publish('t', { kind: 'x' }, { id: 'queued' }).catch(ignore)
    expect(await rejection(client.publish('t', { kind: 'x' }, { id: 'over' }))).toMatchObject({
      code: 'QUEUE_FULL',
      message: 'publish over to t: 2 already queued',
      topic: 't',
    })
    client.close()
  })

  test('STALE also while reconnecting with backoff, not only while offline', async () => {
    const { server, client } = setup(
      { transports: ['ws'], offlineQueue: { maxAgeMs: 2000 } },
      { welcome: { heartbeatMs: 1_000_000 } },
    )
    await advance(0)
    server.refuse('ws', 'close')
    server.last.close(1006)
    await advance(0)
    let error: unknown = null
    void rejection(client.publish('t', { kind: 'x' }, { id: 'p' })).then((e) => {
      error = e
    })
    // Retries at +250, +750 and +1750 are refused; the publish never left the queue.
    await advance(1999)
    expect(error).toBeNull()
    expect(server.attempts.ws).toBe(4)
    await advance(1)
    expect(error).toMatchObject({ code: 'STALE', message: 'publish p to t: not sent in 2000 ms', topic: 't' })
    client.close()
  })

  test('close() rejects queued publishes with CLOSED', async () => {
    const { server, client } = setup()
    await advance(0)
    server.setOnline(false)
    const queued = rejection(client.publish('t', { kind: 'x' }, { id: 'q' }))
    client.close()
    expect(await queued).toMatchObject({ code: 'CLOSED', message: 'publish q to t: the client was closed' })
  })
})
