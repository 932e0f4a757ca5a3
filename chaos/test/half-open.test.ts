/**
 * Half-open sockets: a client that vanishes without FIN or RST (simulated by a proxy that stops
 * forwarding and reading in both directions, both sockets left open). The server must notice on
 * its own and release the connection's slot within a stated bound, while a healthy client next
 * to it keeps receiving.
 *
 * - WebSocket: nothing arrives, not even a pong, so the idle timeout closes it (4408) after
 *   idleTimeoutMs; the close handshake the dead peer never answers waits at most the
 *   transport's close timeout.
 * - SSE has no inbound channel, and writes to a half-open peer do not fail: the kernels take
 *   them until their buffers are full. Once bytes stop draining, the stream is closed as
 *   SLOW_CONSUMER within SSE_STALLED_HEARTBEATS + 1 heartbeats, however few bytes wait.
 */
import { encodeSubscriptionsParam } from '@sluice/protocol'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { SSE_STALLED_HEARTBEATS } from '../../packages/server-node/src/transports/sse'
import { WS_CLOSE_TIMEOUT_MS } from '../../packages/server-node/src/transports/ws'
import { connectionsReach } from './harness/connections'
import { Figures, ms } from './harness/figures'
import { type FreezeProxy, startFreezeProxy } from './harness/freeze-proxy'
import { SseStream } from './harness/sse-stream'
import { sized } from './support/sizing'
import { within } from './support/wait'

const HEARTBEAT_MS = 100
const IDLE_TIMEOUT_MS = 300
// Scheduling noise on a loaded 2-core machine; every bound below is the mechanism's own
// budget plus this.
const SLACK_MS = 700

// A long run repeats each scenario, for the spread of the release times.
const ROUNDS = sized(1, 5)
const figures = new Figures('half-open', '| Scenario | Bound | Slot released after |\n| --- | --- | --- |')
afterAll(() => figures.publish())

let t: TestServer | undefined
let proxy: FreezeProxy | undefined
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
  await proxy?.close()
  proxy = undefined
  await t?.close()
  t = undefined
})

function openWs(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/realtime/ws?v=1`)
  ws.on('error', () => {})
  cleanups.push(() => ws.terminate())
  return within(
    new Promise<WebSocket>((resolve) => ws.once('open', () => resolve(ws))),
    5_000,
    `a WebSocket on port ${port} to open`,
  )
}

describe.each(Array.from({ length: ROUNDS }, (_, i) => i + 1))('half-open sockets, round %i', () => {
  it('a WebSocket peer that vanished is closed 4408 and its slot released within idle timeout + close timeout', async () => {
    const disconnects: Array<{ code: number; reason: string }> = []
    t = await createTestServer({
      heartbeatMs: HEARTBEAT_MS,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
      maxConnections: 1,
      onDisconnect: (_connection, close) => {
        disconnects.push(close)
      },
    })
    proxy = await startFreezeProxy(t.port)
    await openWs(proxy.port)
    await connectionsReach(t.server, 1, 5_000, 'the proxied WebSocket to register')
    proxy.freeze(0)
    // The last pong may have arrived just before the freeze: idleTimeoutMs from there, the
    // idle check, then the close handshake nobody answers.
    const bound = IDLE_TIMEOUT_MS + HEARTBEAT_MS + WS_CLOSE_TIMEOUT_MS + SLACK_MS
    const released = await connectionsReach(t.server, 0, bound, 'the half-open WebSocket to be released')
    expect(released).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - HEARTBEAT_MS)
    figures.add(
      `| WebSocket, frozen (heartbeat ${HEARTBEAT_MS} ms, idle ${IDLE_TIMEOUT_MS} ms, close ${WS_CLOSE_TIMEOUT_MS} ms) | ` +
        `${ms(bound - SLACK_MS)} + ${ms(SLACK_MS)} slack | ${ms(released)} after the freeze (4408) |`,
    )
    expect(disconnects).toEqual([{ code: 4408, reason: 'IDLE_TIMEOUT' }])
    // The slot is free: with maxConnections 1, a new client gets in.
    await openWs(t.port)
    await connectionsReach(t.server, 1, 5_000, 'a new WebSocket to take the freed slot')
  })

  it('an SSE stream whose peer vanished is closed SLOW_CONSUMER once its bytes stop draining; a reader next to it is untouched', async () => {
    const disconnects: Array<{ code: number; reason: string }> = []
    t = await createTestServer({
      heartbeatMs: HEARTBEAT_MS,
      maxConnections: 2,
      // Far above the burst below: what closes the stream must be that its bytes stopped
      // moving, not how many there are.
      maxBufferedBytes: 1024 * 1024 * 1024,
      onDisconnect: (connection, close) => {
        if (connection.transport === 'sse') disconnects.push(close)
      },
    })
    proxy = await startFreezeProxy(t.port)
    const query = `v=1&subscriptions=${encodeSubscriptionsParam([{ topic: 'firehose' }])}`
    const frozen = await SseStream.connect(`http://127.0.0.1:${proxy.port}/realtime/sse?${query}`)
    cleanups.push(() => frozen.close())
    const reader = await SseStream.connect(`${t.url}/sse?${query}`)
    cleanups.push(() => reader.close())
    for (const stream of [frozen, reader]) {
      await stream.frame((f) => f.type === 'subscribed', 5_000, 'subscribed to firehose')
    }
    proxy.freeze(0)

    // Heartbeats alone never fill the kernels' buffers; a burst does. 16 MB is far more than
    // loopback buffers hold for a socket nobody reads (a few hundred KB to a few MB), so bytes
    // are left waiting in the server's socket once the burst is over.
    const data = 'x'.repeat(32 * 1024)
    const events = 512
    for (let i = 0; i < events; i++) {
      await t.server.publish('firehose', { kind: 'created', data })
      // The reader lives in this process: let it read between publishes.
      if (i % 8 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    const bound = (SSE_STALLED_HEARTBEATS + 1) * HEARTBEAT_MS + SLACK_MS
    const released = await connectionsReach(t.server, 1, bound, 'the stalled SSE stream to be released')
    expect(released).toBeLessThan(bound)
    figures.add(
      `| SSE, frozen, then ${events} events of 32 KB (heartbeat ${HEARTBEAT_MS} ms) | ` +
        `${SSE_STALLED_HEARTBEATS + 1} heartbeats + ${ms(SLACK_MS)} slack | ${ms(released)} after the burst (SLOW_CONSUMER) |`,
    )
    expect(disconnects).toEqual([{ code: 4507, reason: 'SLOW_CONSUMER' }])

    // The healthy reader, fed the same burst, was never taken for stalled and has every event.
    await reader.until(
      () => reader.frames.filter((f) => f.type === 'event').length === events,
      15_000,
      `the reader to receive all ${events} events`,
    )
    const seqs = reader.frames.flatMap((f) => (f.type === 'event' ? [f.seq] : []))
    expect(seqs).toEqual(Array.from({ length: events }, (_, i) => i + 1))
    // And its slot was the only one left: a new stream gets the freed one.
    const next = await SseStream.connect(`${t.url}/sse?v=1`)
    cleanups.push(() => next.close())
    await connectionsReach(t.server, 2, 5_000, 'a new SSE stream to take the freed slot')
  })
})
