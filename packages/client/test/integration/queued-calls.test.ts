import { afterEach, expect, test, vi } from 'vitest'
import WebSocket from 'ws'
import { createClient, type SluiceClient } from '../../src/client'
import { startDroppableServer, until } from './harness'

// Calls in the offline queue (`client.call(name, args, { queue: true })`) against the real
// server: they wait for a connection within their own age limit (STALE), and a call once sent is
// never sent again (PROTOCOL.md § Calls: procedures are not assumed idempotent).
let client: SluiceClient | undefined
let server: Awaited<ReturnType<typeof startDroppableServer>> | undefined

afterEach(async () => {
  vi.useRealTimers()
  client?.close()
  await server?.close()
  client = undefined
  server = undefined
})

test('a queued call made while WebSocket upgrades are refused is sent once the connection opens, and runs once', async () => {
  const ran: unknown[] = []
  server = await startDroppableServer({
    procedures: {
      add: {
        guard: 'anyone',
        handler: (args) => {
          ran.push(args)
          return (args as number[])[0]! + 1
        },
      },
    },
  })
  server.refuseWebSocket(true)
  client = createClient({
    url: server.url,
    transports: ['ws'],
    WebSocket,
    backoff: { baseMs: 5, factor: 1, maxMs: 5 },
  })
  const result = client.call('add', [1], { queue: true })
  await until(client.$connection, (s) => s.status === 'reconnecting', 'a refused attempt')
  expect(ran).toEqual([])
  server.refuseWebSocket(false)
  expect(await result).toBe(2)
  expect(ran).toEqual([[1]])
})

test('a queued call sent, then cut off before its result, rejects with NETWORK and is not sent again', async () => {
  let release = () => {}
  let calls = 0
  server = await startDroppableServer({
    procedures: {
      slow: {
        guard: 'anyone',
        handler: () => {
          calls++
          return new Promise<string>((resolve) => {
            release = () => resolve('done')
          })
        },
      },
    },
  })
  client = createClient({
    url: server.url,
    transports: ['ws'],
    WebSocket,
    backoff: { baseMs: 5, factor: 1, maxMs: 5 },
  })
  const result = client.call('slow', null, { queue: true })
  await vi.waitFor(() => expect(calls).toBe(1))
  server.drop()
  await expect(result).rejects.toMatchObject({
    code: 'NETWORK',
    message: 'call slow: the connection was lost; it may have run',
  })
  release()
  await until(client.$connection, (s) => s.status === 'open', 'the reconnect')
  // A ping round trip: anything the client resent on open would have reached the server before it.
  await client.call('ping', null).catch(() => undefined)
  expect(calls).toBe(1)
})

test('a queued call not sent within offlineQueue.callMaxAgeMs rejects with STALE; an unqueued one waits for its timeout', async () => {
  server = await startDroppableServer()
  server.refuseWebSocket(true)
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  client = createClient({
    url: server.url,
    transports: ['ws'],
    WebSocket,
    callTimeoutMs: 60_000,
    offlineQueue: { callMaxAgeMs: 5_000 },
  })
  const queued = client.call('add', [1], { queue: true })
  const unqueued = client.call('add', [2])
  const outcomes: string[] = []
  queued.catch((error) => outcomes.push(`queued ${error.code}: ${error.message}`))
  unqueued.catch((error) => outcomes.push(`unqueued ${error.code}: ${error.message}`))
  await vi.advanceTimersByTimeAsync(4_999)
  expect(outcomes).toEqual([])
  await vi.advanceTimersByTimeAsync(1)
  expect(outcomes).toEqual(['queued STALE: call add: not sent in 5000 ms'])
  await vi.advanceTimersByTimeAsync(55_000)
  expect(outcomes).toEqual([
    'queued STALE: call add: not sent in 5000 ms',
    'unqueued TIMEOUT: call add: no result in 60000 ms',
  ])
})
