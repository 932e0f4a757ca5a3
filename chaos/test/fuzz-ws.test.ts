/**
 * Malformed input over a real WebSocket: frames as they should be and bent out of shape,
 * batches (empty, over maxBatch), any JSON, any text, binary messages, bytes that are not UTF-8,
 * messages around maxFrameBytes. After each message a ping marker: the connection must answer
 * it (it survived) or have closed with a documented close code. Every frame the server sent
 * must be a valid server frame, every error one with a documented code; the process must see
 * no uncaught exception or unhandled rejection and the server report no unexpected error;
 * and an observer connected alongside must receive every event published meanwhile.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DOCUMENTED_CLOSE_CODES, invalidServerFrame } from './harness/documented'
import { Figures } from './harness/figures'
import { CANARY, rawWsBytes, type WsMessage, wsMessage } from './harness/fuzz-inputs'
import { type HardenedServer, startHardenedServer } from './harness/hardened-server'
import { type ProcessFaults, watchProcessFaults } from './harness/process-faults'
import { clientFrame, RawSocket, serverWsFrames, upgradeRequest } from './harness/raw-socket'
import { tally } from './harness/tally'
import { WsPeer } from './harness/ws-peer'
import { sized } from './support/sizing'

const MAX_FRAME_BYTES = 4_096
const RUNS = sized(2_000, 40_000)
const RAW_RUNS = sized(300, 6_000)
// A ping whose pong proves the connection survived what came before it.
const MARKER = JSON.stringify({ type: 'ping', id: 'marker' })
// Scheduling noise on a loaded 2-core machine.
const SLACK_MS = 700

/** A close frame's code; 1005 ("no status", RFC 6455 § 7.4.1) when it carries none. */
const closeCodeOf = (payload: Buffer): number => (payload.length >= 2 ? payload.readUInt16BE(0) : 1005)

const figures = new Figures('fuzz-ws')
afterAll(() => figures.publish())

let server: HardenedServer
let faults: ProcessFaults
const reported: string[] = []

beforeAll(async () => {
  faults = watchProcessFaults()
  server = await startHardenedServer(
    {
      // Small limits, so that generated input reaches them.
      limits: { maxFrameBytes: MAX_FRAME_BYTES, maxBatch: 8, maxSubscriptions: 10 },
      rateLimit: false,
      authorize: () => true,
      snapshot: (topic) => ({ topic }),
      procedures: { echo: (args: unknown) => args },
      onError: (error, context) => {
        reported.push(`${context.operation}: ${error instanceof Error ? error.message : String(error)}`)
      },
    },
    {},
  )
})

afterAll(async () => {
  await server.close()
  faults.stop()
})

function send(peer: WsPeer, message: WsMessage): void {
  if (message.kind === 'text') peer.ws.send(message.text)
  else peer.ws.send(Buffer.from(message.bytes), { binary: message.kind === 'binary' })
}

const markerAnswered = (id: string) => (frame: unknown) => {
  const { type, id: answered } = frame as { type?: unknown; id?: unknown }
  return answered === id && (type === 'pong' || type === 'error')
}

describe('WebSocket fuzzing', () => {
  it(`${RUNS} malformed messages: documented answers only, the observer keeps receiving`, async () => {
    const wsUrl = `${server.url.replace('http', 'ws')}/ws?v=1`
    const observer = await WsPeer.open(wsUrl)
    observer.ws.send(JSON.stringify({ type: 'subscribe', id: 's', topic: CANARY }))
    await observer.settle(
      () => observer.frames.some((f) => (f as { type?: string }).type === 'subscribed'),
      5_000,
      'the observer to subscribe',
    )

    let peer = await WsPeer.open(wsUrl)
    const peers = [peer]
    const closes: Array<{ code: number; reason: string; after: WsMessage['kind'] }> = []
    let canaries = 0
    let run = 0
    await fc.assert(
      fc.asyncProperty(wsMessage(MAX_FRAME_BYTES), async (message) => {
        run++
        if (peer.closedWith !== undefined) {
          peer = await WsPeer.open(wsUrl)
          peers.push(peer)
        }
        const marker = `marker-${run}`
        send(peer, message)
        peer.ws.send(JSON.stringify({ type: 'ping', id: marker }))
        await peer.settle(() => peer.frames.some(markerAnswered(marker)), 5_000, `the answer to ${marker}`)
        if (peer.closedWith !== undefined) {
          closes.push({ ...peer.closedWith, after: message.kind })
          expect(DOCUMENTED_CLOSE_CODES).toContain(peer.closedWith.code)
        }
        if (run % 25 === 0) {
          canaries++
          await server.sluice.publish(CANARY, { kind: 'created', key: `c${canaries}` })
        }
      }),
      { numRuns: RUNS },
    )

    // Every frame of every fuzzed connection was a valid server frame with documented codes.
    const invalid = peers.flatMap((p) => [...p.frames.map(invalidServerFrame), ...p.unparsable])
    expect(invalid.filter((reason) => reason !== null)).toEqual([])
    expect(faults.faults).toEqual([])
    expect(reported).toEqual([])

    // The observer saw every canary event, in order, and was never disturbed.
    await observer.settle(
      () => observer.frames.filter((f) => (f as { type?: string }).type === 'event').length === canaries,
      5_000,
      `the observer to receive ${canaries} events`,
    )
    const seqs = observer.frames.flatMap((f) =>
      (f as { type?: string }).type === 'event' ? [(f as { seq: number }).seq] : [],
    )
    expect(seqs).toEqual(Array.from({ length: canaries }, (_, i) => i + 1))
    expect(observer.closedWith).toBeUndefined()
    const answers = peers.flatMap((p) =>
      p.frames.flatMap((f) => {
        const { type, code } = f as { type?: string; code?: string }
        return type === 'error' ? [`error ${code}`] : type === 'pong' ? [] : [String(type)]
      }),
    )
    figures.add(
      `- ${RUNS} messages over ${peers.length} connections; answers: ${tally(answers)}; ` +
        `closes: ${tally(closes.map((c) => `${c.code} after ${c.after}`))}`,
    )
    for (const p of peers) p.ws.terminate()
    observer.ws.terminate()
  })

  it(`${RAW_RUNS} frames and bytes where a WebSocket frame belongs: the marker answered, or a documented close`, async () => {
    // Its own server with a short idle timeout: bytes that announce a frame longer than what
    // follows leave the server waiting for the rest, and only silence ends that.
    const idle = await startHardenedServer({ heartbeatMs: 100, idleTimeoutMs: 300, logger: false }, {})
    const outcomes: string[] = []
    try {
      await fc.assert(
        fc.asyncProperty(rawWsBytes, async ({ bytes, frame }) => {
          const raw = await RawSocket.open(idle.port)
          try {
            raw.socket.write(upgradeRequest('/realtime/ws?v=1'))
            await raw.receive('\r\n\r\n', 5_000)
            const head = raw.text.indexOf('\r\n\r\n') + 4
            expect(raw.text.slice(0, 12)).toBe('HTTP/1.1 101')
            raw.socket.write(Buffer.concat([bytes, clientFrame(Buffer.from(MARKER), 0x1)]))
            const frames = () => serverWsFrames(Buffer.from(raw.text.slice(head), 'latin1'))
            const answered = () =>
              frames().some((f) => f.opcode === 0x1 && f.payload.toString().includes('"marker"'))
            const closeFrame = () => frames().find((f) => f.opcode === 0x8)
            // The idle timeout plus its heartbeat tick bound the wait for bytes that never come.
            await raw.until(
              () => answered() || closeFrame() !== undefined,
              300 + 100 + SLACK_MS,
              'the marker or a close',
            )
            const close = closeFrame()
            const code = close === undefined ? null : closeCodeOf(close.payload)
            // A close the client started is echoed with the client's own code (RFC 6455 § 5.5.1).
            const echoed = frame?.opcode === 0x8 ? closeCodeOf(Buffer.from(frame.payload)) : null
            if (code !== null && code !== echoed) expect(DOCUMENTED_CLOSE_CODES).toContain(code)
            // Batches count frame by frame.
            const texts = frames().flatMap((f) =>
              f.opcode === 0x1 ? [JSON.parse(f.payload.toString()) as unknown].flat() : [],
            )
            expect(texts.map(invalidServerFrame).filter((reason) => reason !== null)).toEqual([])
            outcomes.push(code === null ? 'answered' : `closed ${code}`)
          } finally {
            raw.destroy()
          }
        }),
        { numRuns: RAW_RUNS },
      )
      expect(faults.faults).toEqual([])
    } finally {
      await idle.close()
    }
    figures.add(`- raw framing: ${RAW_RUNS} frames or byte runs; ${tally(outcomes)}`)
  })
})
