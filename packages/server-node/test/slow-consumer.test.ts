// A slow consumer closed with 4507 must give back its TCP socket and its connection slot
// promptly, not when the peer gets round to reading (ws waits 30 s for a close handshake by
// default, and a peer that stopped reading never answers). The peer here is a raw TCP client
// that reads its welcome and subscription, then stops reading: the kernel buffers fill, then the
// server's own, until the server gives up on it.
import { connect, type Socket } from 'node:net'
import { encodeSubscriptionsParam } from '@sluice/protocol'
import { pino } from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createTestServer, type TestServer } from '../src/testing'
import { WS_CLOSE_TIMEOUT_MS } from '../src/transports/ws'

let t: TestServer | undefined
const sockets: Socket[] = []

afterEach(async () => {
  vi.useRealTimers()
  for (const socket of sockets.splice(0)) socket.destroy()
  await t?.close()
  t = undefined
})

const SUBSCRIPTIONS = encodeSubscriptionsParam([{ topic: 'firehose' }])

const REQUESTS = {
  ws:
    `GET /realtime/ws?v=1&subscriptions=${SUBSCRIPTIONS} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  sse: `GET /realtime/sse?v=1&subscriptions=${SUBSCRIPTIONS} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
}

/** A raw client of `transport` that reads up to its `subscribed` frame, then stops reading. */
async function stallingPeer(port: number, transport: 'ws' | 'sse') {
  const socket = connect(port, '127.0.0.1')
  sockets.push(socket)
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  await new Promise<void>((resolve) => {
    let text = ''
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1')
      if (!text.includes('"type":"subscribed"')) return
      socket.off('data', onData)
      socket.pause()
      resolve()
    }
    socket.on('data', onData)
    socket.write(REQUESTS[transport])
  })
  return { socket, closed }
}

/** Starts a server whose warn lines are kept, and which reports each disconnect. */
async function start() {
  const warnings: string[] = []
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) })
  const disconnects: Array<{ code: number; reason: string }> = []
  let disconnected: () => void = () => {}
  const server = await createTestServer({
    maxBufferedBytes: 64 * 1024,
    logger,
    onDisconnect: (_connection, close) => {
      disconnects.push(close)
      disconnected()
    },
  })
  t = server
  return {
    server,
    disconnects,
    nextDisconnect: () => new Promise<void>((resolve) => (disconnected = resolve)),
    /** Publishes 32 KiB events until the server closes the slow consumer (bounded, so a bug cannot loop forever). */
    async overflow(): Promise<number> {
      const data = 'x'.repeat(32 * 1024)
      let published = 0
      while (!warnings.some((line) => line.includes('closing slow consumer')) && published < 2_000) {
        await server.server.publish('firehose', { kind: 'created', data })
        published++
        // Let the socket writes happen between publishes, as they would between requests.
        await new Promise((resolve) => setImmediate(resolve))
      }
      return published
    },
  }
}

// Only the timers: sockets and setImmediate stay real, so the test waits on real I/O but never
// on the clock.
const fakeClock = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })

describe('a slow consumer closed with 4507', () => {
  it(`on WebSocket: socket and slot are released ${WS_CLOSE_TIMEOUT_MS} ms after the close, not 30 s`, async () => {
    const run = await start()
    const peer = await stallingPeer(run.server.port, 'ws')
    expect(run.server.server.stats().connections).toBe(1)
    fakeClock()
    const published = await run.overflow()
    expect(published).toBeLessThan(2_000)
    // The close frame waits behind the bytes the peer does not read: the socket is still there.
    const released = run.nextDisconnect()
    vi.advanceTimersByTime(WS_CLOSE_TIMEOUT_MS - 1)
    await new Promise((resolve) => setImmediate(resolve))
    expect(run.server.server.stats().connections).toBe(1)
    expect(run.disconnects).toEqual([])
    vi.advanceTimersByTime(1)
    await released
    expect(run.server.server.stats().connections).toBe(0)
    // Reported with the code the server closed with, though the peer never answered it.
    expect(run.disconnects).toEqual([{ code: 4507, reason: 'SLOW_CONSUMER' }])
    // The peer gets what the kernel still held, then the end of the connection.
    peer.socket.resume()
    await peer.closed
  })

  it('on SSE: socket and slot are released at once, without waiting for any timer', async () => {
    const run = await start()
    const peer = await stallingPeer(run.server.port, 'sse')
    expect(run.server.server.stats().connections).toBe(1)
    const released = run.nextDisconnect()
    fakeClock()
    const published = await run.overflow()
    expect(published).toBeLessThan(2_000)
    await released
    expect(run.server.server.stats().connections).toBe(0)
    expect(run.disconnects).toEqual([{ code: 4507, reason: 'SLOW_CONSUMER' }])
    peer.socket.resume()
    await peer.closed
  })

  it('on WebSocket: a peer that reads again in time gets the 4507 close frame', async () => {
    const run = await start()
    const peer = await stallingPeer(run.server.port, 'ws')
    fakeClock()
    await run.overflow()
    const released = run.nextDisconnect()
    // Read everything: the last bytes are the close frame, 0x88 <length> 4507 "SLOW_CONSUMER".
    const close = Buffer.concat([Buffer.from([0x88, 0x0f, 0x11, 0x9b]), Buffer.from('SLOW_CONSUMER')])
    const tail = await new Promise<Buffer>((resolve) => {
      let last = Buffer.alloc(0)
      peer.socket.on('data', (chunk: Buffer) => {
        last = Buffer.concat([last, chunk]).subarray(-close.length)
        if (last.equals(close)) resolve(last)
      })
      peer.socket.resume()
    })
    expect(tail).toEqual(close)
    // The peer answers the close as a WebSocket client must (a masked close frame, no payload).
    peer.socket.write(Buffer.from([0x88, 0x80, 0, 0, 0, 0]))
    await released
    await peer.closed
    expect(run.disconnects).toEqual([{ code: 4507, reason: 'SLOW_CONSUMER' }])
  })
})
