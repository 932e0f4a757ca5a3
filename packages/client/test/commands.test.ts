/**
 * Calls and publishes, on the in-process fake server (test/fake-server.ts): results, timeouts,
 * errors that name their call or publish id, resends with the same id, the size check against
 * the welcome's limits, and the offline queue's basics (more in offline-queue.test.ts). How a
 * tick of commands is framed on the wire is the boundary's: test/msw/batching.test.ts.
 */
import { type CallFrame, DEFAULT_LIMITS, type PublishFrame } from '@sluice/protocol'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { ClientError } from '../src/client-error'
import { advance, setup, useFakeTime } from './helpers'

beforeEach(useFakeTime)
afterEach(() => {
  vi.useRealTimers()
})

const rejection = async (promise: Promise<unknown>) => {
  try {
    await promise
  } catch (error) {
    return error as ClientError
  }
  throw new Error('expected a rejection')
}

describe('calls', () => {
  test('resolves with the result', async () => {
    const { server, client } = setup()
    await advance(0)
    const result = client.call('add', { a: 1, b: 2 })
    await advance(0)
    const frame = server.last.frames[0] as CallFrame
    expect(frame).toEqual({ type: 'call', id: expect.any(String), name: 'add', args: { a: 1, b: 2 } })
    server.last.send({ type: 'result', id: frame.id, result: 3 })
    await expect(result).resolves.toBe(3)
    client.close()
  })

  test('identical calls in flight share one request unless fresh', async () => {
    const { server, client } = setup()
    await advance(0)
    const a = client.call('get', { x: 1, y: 2 })
    const b = client.call('get', { y: 2, x: 1 })
    const c = client.call('get', { x: 1, y: 2 }, { fresh: true })
    expect(a).toBe(b)
    await advance(0)
    expect(server.last.frames).toHaveLength(2)
    const [first, second] = server.last.frames as CallFrame[]
    server.last.send([
      { type: 'result', id: (first as CallFrame).id, result: 'one' },
      { type: 'result', id: (second as CallFrame).id, result: 'two' },
    ])
    expect(await Promise.all([a, b, c])).toEqual(['one', 'one', 'two'])
    // Settled: the next identical call is a new request.
    void client.call('get', { x: 1, y: 2 }).catch(() => {})
    await advance(0)
    expect(server.last.frames).toHaveLength(3)
    client.close()
  })

  test('TIMEOUT after callTimeoutMs', async () => {
    const { client } = setup({ callTimeoutMs: 2000 })
    await advance(0)
    const result = rejection(client.call('slow'))
    await advance(1999)
    await advance(1)
    const error = await result
    expect(error).toBeInstanceOf(ClientError)
    expect(error.code).toBe('TIMEOUT')
    expect(error.message).toBe('call slow: no result in 2000 ms')
    client.close()
  })

  test('VALIDATION carries the issues', async () => {
    const { server, client } = setup()
    await advance(0)
    const result = rejection(client.call('rename', { title: '' }))
    await advance(0)
    const issues = [{ path: ['title'], message: 'Too short' }]
    server.last.send({
      type: 'error',
      id: (server.last.frames[0] as CallFrame).id,
      code: 'VALIDATION',
      message: 'invalid',
      issues,
    })
    const error = await result
    expect(error.code).toBe('VALIDATION')
    expect(error.issues).toEqual(issues)
    client.close()
  })

  test('a call on the wire when the connection drops rejects with NETWORK; one not yet sent waits', async () => {
    const { server, client } = setup()
    await advance(0)
    const sent = rejection(client.call('a'))
    await advance(0)
    server.last.close(1006)
    await advance(0)
    expect((await sent).code).toBe('NETWORK')
    const waiting = client.call('b')
    await advance(250)
    const frame = server.last.frames[0] as CallFrame
    expect(frame.name).toBe('b')
    server.last.send({ type: 'result', id: frame.id, result: 'ok' })
    await expect(waiting).resolves.toBe('ok')
    client.close()
  })

  test('a result without a value resolves with null', async () => {
    const { server, client } = setup()
    await advance(0)
    const result = client.call('touch')
    await advance(0)
    server.last.send({ type: 'result', id: (server.last.frames[0] as CallFrame).id })
    await expect(result).resolves.toBe(null)
    client.close()
  })

  test('close() rejects pending calls with CLOSED', async () => {
    const { client } = setup()
    await advance(0)
    const result = rejection(client.call('a'))
    client.close()
    expect((await result).code).toBe('CLOSED')
    expect((await rejection(client.call('b'))).code).toBe('CLOSED')
  })
})

describe('publish', () => {
  test('resolves with the position from the ack', async () => {
    const { server, client } = setup()
    await advance(0)
    const result = client.publish('todos', { kind: 'created', key: 't1', data: { title: 'x' } }, { id: 'p1' })
    await advance(0)
    expect(server.last.frames).toEqual([
      { type: 'publish', id: 'p1', topic: 'todos', kind: 'created', key: 't1', data: { title: 'x' } },
    ])
    server.last.send({ type: 'ack', id: 'p1', topic: 'todos', epoch: 'e1', seq: 4 })
    await expect(result).resolves.toEqual({ epoch: 'e1', seq: 4, duplicate: false })
    client.close()
  })

  test('an unacknowledged publish is resent with the same id after a reconnect', async () => {
    const { server, client } = setup()
    await advance(0)
    const result = client.publish('todos', { kind: 'created' })
    await advance(0)
    const id = (server.last.frames[0] as PublishFrame).id
    server.last.close(1006)
    await advance(250)
    expect(server.last.frames).toEqual([{ type: 'publish', id, topic: 'todos', kind: 'created' }])
    server.last.send({ type: 'ack', id, topic: 'todos', epoch: 'e1', seq: 1, duplicate: true })
    await expect(result).resolves.toEqual({ epoch: 'e1', seq: 1, duplicate: true })
    client.close()
  })

  test('a publish over the welcome’s maxFrameBytes rejects with LIMIT_EXCEEDED and is never sent', async () => {
    const { server, client } = setup({}, { welcome: { limits: { ...DEFAULT_LIMITS, maxFrameBytes: 200 } } })
    await advance(0)
    const big = rejection(client.publish('todos', { kind: 'created', data: 'x'.repeat(200) }, { id: 'big' }))
    const small = client.publish('todos', { kind: 'created' }, { id: 'small' })
    await advance(0)
    expect(await big).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      message: "publish big to todos: the publish frame is 272 bytes, over the server's maxFrameBytes (200)",
      topic: 'todos',
    })
    expect(server.last.frames).toEqual([{ type: 'publish', id: 'small', topic: 'todos', kind: 'created' }])
    server.last.send({ type: 'ack', id: 'small', topic: 'todos', epoch: 'e1', seq: 1 })
    await expect(small).resolves.toEqual({ epoch: 'e1', seq: 1, duplicate: false })
    expect(server.connections).toHaveLength(1)
    client.close()
  })

  test('a publish on the wire when the server closes with 1009 fails with its code, not resent; one queued is sent', async () => {
    const { server, client } = setup({ retryDelay: () => 1000 })
    await advance(0)
    const sent = rejection(client.publish('todos', { kind: 'created' }, { id: 'sent' }))
    await advance(0)
    server.last.close(1009, 'LIMIT_EXCEEDED')
    await advance(0)
    const queued = client.publish('todos', { kind: 'created' }, { id: 'queued' })
    expect(await sent).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      message: 'publish sent to todos: closed with 1009 LIMIT_EXCEEDED',
      closeCode: 1009,
    })
    await advance(1000)
    expect(server.connections).toHaveLength(2)
    expect(server.last.frames).toEqual([{ type: 'publish', id: 'queued', topic: 'todos', kind: 'created' }])
    server.last.send({ type: 'ack', id: 'queued', topic: 'todos', epoch: 'e1', seq: 1 })
    await expect(queued).resolves.toEqual({ epoch: 'e1', seq: 1, duplicate: false })
    client.close()
  })

  test('offline queue: QUEUE_FULL beyond maxSize, sent in order on open', async () => {
    const { server, client } = setup({ lazy: true, offlineQueue: { maxSize: 2 } })
    const a = client.publish('t', { kind: 'a' }, { id: 'a' })
    const b = client.publish('t', { kind: 'b' }, { id: 'b' })
    const c = await rejection(client.publish('t', { kind: 'c' }, { id: 'c' }))
    expect(c.code).toBe('QUEUE_FULL')
    expect(c.message).toBe('publish c to t: 2 already queued')
    await advance(0)
    expect(server.last.frames.map((f) => (f as PublishFrame).id)).toEqual(['a', 'b'])
    server.last.send([
      { type: 'ack', id: 'a', epoch: 'e', seq: 1 },
      { type: 'ack', id: 'b', epoch: 'e', seq: 2 },
    ])
    await expect(Promise.all([a, b])).resolves.toHaveLength(2)
    client.close()
  })

  test('offline queue: a publish still waiting after maxAgeMs rejects with STALE, even while offline', async () => {
    const { server, client } = setup({ offlineQueue: { maxAgeMs: 1000 } })
    server.setOnline(false)
    await advance(0)
    const old = rejection(client.publish('t', { kind: 'old' }, { id: 'old' }))
    await advance(500)
    const fresh = client.publish('t', { kind: 'fresh' }, { id: 'fresh' })
    await advance(499)
    expect(client.$connection.get().status).toBe('offline')
    await advance(1)
    const error = await old
    expect(error.code).toBe('STALE')
    expect(error.message).toBe('publish old to t: not sent in 1000 ms')
    server.setOnline(true)
    await advance(0)
    expect(server.last.frames.map((f) => (f as PublishFrame).id)).toEqual(['fresh'])
    server.last.send({ type: 'ack', id: 'fresh', epoch: 'e', seq: 1 })
    await expect(fresh).resolves.toEqual({ epoch: 'e', seq: 1, duplicate: false })
    client.close()
  })

  test('a publish that was sent once is resent after a long outage, never STALE', async () => {
    const { server, client } = setup({ offlineQueue: { maxAgeMs: 1000 } })
    await advance(0)
    const result = client.publish('t', { kind: 'x' }, { id: 'p' })
    await advance(0)
    server.setOnline(false)
    await advance(10_000)
    server.setOnline(true)
    await advance(0)
    expect(server.last.frames).toEqual([{ type: 'publish', id: 'p', topic: 't', kind: 'x' }])
    server.last.send({ type: 'ack', id: 'p', epoch: 'e', seq: 1, duplicate: true })
    await expect(result).resolves.toEqual({ epoch: 'e', seq: 1, duplicate: true })
    client.close()
  })

  test('RATE_LIMITED resends after retryAfterMs; FORBIDDEN rejects', async () => {
    const { server, client } = setup()
    await advance(0)
    const limited = client.publish('t', { kind: 'x' }, { id: 'r' })
    const forbidden = rejection(client.publish('t', { kind: 'x' }, { id: 'f' }))
    await advance(0)
    server.last.send([
      { type: 'error', id: 'r', code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 300 },
      { type: 'error', id: 'f', code: 'FORBIDDEN', message: 'no', topic: 't' },
    ])
    await advance(299)
    expect(server.last.frames).toHaveLength(2)
    await advance(1)
    expect(server.last.frames[2]).toEqual({ type: 'publish', id: 'r', topic: 't', kind: 'x' })
    server.last.send({ type: 'ack', id: 'r', epoch: 'e', seq: 9 })
    await expect(limited).resolves.toEqual({ epoch: 'e', seq: 9, duplicate: false })
    expect(await forbidden).toMatchObject({ code: 'FORBIDDEN', topic: 't' })
    client.close()
  })

  test('TIMEOUT when a sent publish gets no ack', async () => {
    const { client } = setup({ publishTimeoutMs: 500 })
    await advance(0)
    const result = rejection(client.publish('t', { kind: 'x' }, { id: 'p' }))
    await advance(500)
    expect(await result).toMatchObject({ code: 'TIMEOUT', message: 'publish p to t: no ack in 500 ms' })
    client.close()
  })
})

describe('rate-limited publishes', () => {
  test('UNAVAILABLE (the server cannot reach its engine) resends the same id after retryAfterMs', async () => {
    const { server, client } = setup()
    await advance(0)
    const result = client.publish('todos', { kind: 'created' }, { id: 'p1' })
    await advance(0)
    server.last.send({
      type: 'error',
      id: 'p1',
      code: 'UNAVAILABLE',
      message: 'the engine cannot be reached',
      topic: 'todos',
      retryAfterMs: 2000,
    })
    await advance(1999)
    expect(server.last.frames).toHaveLength(1)
    await advance(1)
    expect(server.last.frames).toEqual([
      { type: 'publish', id: 'p1', topic: 'todos', kind: 'created' },
      { type: 'publish', id: 'p1', topic: 'todos', kind: 'created' },
    ])
    server.last.send({ type: 'ack', id: 'p1', epoch: 'e1', seq: 3, duplicate: false })
    await expect(result).resolves.toEqual({ epoch: 'e1', seq: 3, duplicate: false })
    client.close()
  })

  test('RATE_LIMITED without retryAfterMs resends the same id after 1 s', async () => {
    const { server, client } = setup()
    await advance(0)
    const result = client.publish('todos', { kind: 'created' }, { id: 'p1' })
    await advance(0)
    server.last.send({ type: 'error', id: 'p1', code: 'RATE_LIMITED', message: 'slow down' })
    await advance(999)
    expect(server.last.frames).toHaveLength(1)
    await advance(1)
    expect(server.last.frames).toEqual([
      { type: 'publish', id: 'p1', topic: 'todos', kind: 'created' },
      { type: 'publish', id: 'p1', topic: 'todos', kind: 'created' },
    ])
    server.last.send({ type: 'ack', id: 'p1', epoch: 'e1', seq: 2 })
    await expect(result).resolves.toEqual({ epoch: 'e1', seq: 2, duplicate: false })
    client.close()
  })
})
