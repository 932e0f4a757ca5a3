/**
 * Malformed SSE connects against a real server: fuzzed `?v=`, `?subscriptions=`,
 * `?lastEventId=` and `?token=`, fuzzed Last-Event-ID, Origin and Authorization headers, and
 * header lines made of any bytes at all (sent over a raw socket, past what node:http's client
 * would allow). Every answer must be a stream whose frames are valid and answer each requested
 * topic, or a refusal whose status and error frame code are documented; every stream's slot is
 * released when its client leaves; the process sees no uncaught exception or unhandled
 * rejection, the server reports no unexpected error, and an observer keeps receiving.
 */
import { decodeSubscriptionsParam, encodeSubscriptionsParam, type ServerFrame } from '@sluice/protocol'
import { ServerError } from '@sluice/server-node'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectionsReach } from './harness/connections'
import { invalidServerFrame, undocumentedHttpError } from './harness/documented'
import { Figures } from './harness/figures'
import { CANARY, headerText, lastEventId, subscriptionsParam } from './harness/fuzz-inputs'
import { type HardenedServer, startHardenedServer } from './harness/hardened-server'
import { type ProcessFaults, watchProcessFaults } from './harness/process-faults'
import { httpAnswer, RawSocket } from './harness/raw-socket'
import { SseStream } from './harness/sse-stream'
import { tally } from './harness/tally'
import { sized } from './support/sizing'

const RUNS = sized(500, 10_000)
const RAW_RUNS = sized(500, 10_000)
const MAX_SUBSCRIPTIONS = 10
const ORIGIN = 'http://app.example'

const figures = new Figures('fuzz-sse-connect')
afterAll(() => figures.publish())

let server: HardenedServer
let faults: ProcessFaults
let observer: SseStream
let canaries = 0
const reported: string[] = []

beforeAll(async () => {
  faults = watchProcessFaults()
  server = await startHardenedServer(
    {
      limits: { maxSubscriptions: MAX_SUBSCRIPTIONS },
      rateLimit: false,
      allowedOrigins: [ORIGIN],
      authenticate: ({ token }) => {
        if (token === undefined) return null
        if (token === 'good') return { id: 'user-1' }
        throw new ServerError('UNAUTHORIZED', 'unknown token')
      },
      authorize: () => true,
      snapshot: (topic) => ({ topic }),
      onError: (error, context) => {
        reported.push(`${context.operation}: ${error instanceof Error ? error.message : String(error)}`)
      },
    },
    {},
  )
  observer = await SseStream.connect(
    `${server.url}/sse?v=1&subscriptions=${encodeSubscriptionsParam([{ topic: CANARY }])}`,
  )
  await observer.frame((f) => f.type === 'subscribed', 5_000, 'the observer to subscribe')
})

afterAll(async () => {
  await observer.close()
  await server.close()
  faults.stop()
})

/** Publishes a canary event now and then; the observer must have every one at the end. */
async function canary(run: number): Promise<void> {
  if (run % 25 !== 0) return
  canaries++
  await server.sluice.publish(CANARY, { kind: 'created', key: `c${canaries}` })
}

const connect = fc.record(
  {
    v: fc.oneof(
      { arbitrary: fc.constant('1'), weight: 6 },
      { arbitrary: fc.constantFrom('0', '2', '', '1.0'), weight: 1 },
    ),
    subscriptions: subscriptionsParam,
    lastEventId,
    token: fc.oneof(
      { arbitrary: fc.constant('good'), weight: 3 },
      { arbitrary: fc.constantFrom('bad', ''), weight: 1 },
    ),
  },
  { requiredKeys: ['v'] },
)

const connectHeaders = fc.record(
  {
    'last-event-id': lastEventId,
    // Mostly what a real client sends, so that most connects get past these checks to the rest.
    origin: fc.oneof(
      { arbitrary: fc.constant(ORIGIN), weight: 6 },
      { arbitrary: fc.constantFrom('https://evil.example', 'null'), weight: 1 },
      { arbitrary: headerText, weight: 1 },
    ),
    authorization: fc.oneof(
      { arbitrary: fc.constant('Bearer good'), weight: 3 },
      { arbitrary: fc.constant('Bearer bad'), weight: 1 },
      { arbitrary: headerText, weight: 1 },
    ),
  },
  { requiredKeys: [] },
)

describe('SSE connect fuzzing', () => {
  it(`${RUNS} fuzzed query strings and headers: a valid stream or a documented refusal`, async () => {
    let run = 0
    const outcomes: string[] = []
    await fc.assert(
      fc.asyncProperty(connect, connectHeaders, async (params, headers) => {
        run++
        const query = new URLSearchParams(params as Record<string, string>).toString()
        const opened = await SseStream.open(`${server.url}/sse?${query}`, headers)
        if (params.v !== '1') {
          // The version is the first check: whatever else is wrong, this is the answer.
          expect([opened.status, (opened.body as { code?: string } | undefined)?.code]).toEqual([
            400,
            'PROTOCOL_VERSION',
          ])
        }
        if (opened.stream === undefined) {
          expect(undocumentedHttpError(opened.status, opened.body)).toBeNull()
          outcomes.push(`${opened.status} ${(opened.body as { code: string }).code}`)
        } else {
          const stream = opened.stream
          const decoded = decodeSubscriptionsParam(params.subscriptions ?? encodeSubscriptionsParam([]), {
            maxSubscriptions: MAX_SUBSCRIPTIONS,
          })
          // A stream opens only for a list the server accepted, and then answers each topic.
          expect(decoded.ok).toBe(true)
          const topics = decoded.ok ? decoded.value.map((s) => s.topic) : []
          const answered = (topic: string) => (f: ServerFrame) =>
            (f.type === 'subscribed' || f.type === 'error') && 'topic' in f && f.topic === topic
          await stream.until(
            () =>
              stream.frames[0]?.type === 'welcome' &&
              topics.every((topic) => stream.frames.some(answered(topic))),
            5_000,
            `the welcome and an answer for each of ${JSON.stringify(topics)}`,
          )
          expect(stream.frames.map(invalidServerFrame).filter((reason) => reason !== null)).toEqual([])
          outcomes.push(`200 with ${topics.length} topics`)
          await stream.close()
          // Its slot comes back as soon as the client is gone: only the observer is left.
          await connectionsReach(server.sluice, 1, 5_000, 'the fuzzed stream to be released')
        }
        await canary(run)
      }),
      { numRuns: RUNS },
    )
    expect(faults.faults).toEqual([])
    expect(reported).toEqual([])
    figures.add(`- ${RUNS} connects; ${tally(outcomes)}`)
  })

  it(`${RAW_RUNS} header lines of any bytes: a stream, or a documented refusal, never silence`, async () => {
    let run = 0
    const outcomes: string[] = []
    const bytes = fc.uint8Array({ maxLength: 60 }).map((array) => Buffer.from(array).toString('latin1'))
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(bytes, bytes), { maxLength: 4 }), async (lines) => {
        run++
        const raw = await RawSocket.open(server.port)
        try {
          const head = lines.map(([name, value]) => `${name}: ${value}\r\n`).join('')
          raw.socket.write(
            Buffer.from(`GET /realtime/sse?v=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n${head}\r\n`, 'latin1'),
          )
          await raw.until(
            () => raw.text.includes('\r\n\r\n') || raw.socket.destroyed,
            5_000,
            'an answer to the request',
          )
          const answer = httpAnswer(raw.text)
          if (answer.status === 200) {
            expect(raw.text).toMatch(/\r\ncontent-type: text\/event-stream; charset=utf-8\r\n/i)
          } else {
            expect(undocumentedHttpError(answer.status, answer.body)).toBeNull()
          }
          outcomes.push(String(answer.status))
        } finally {
          raw.destroy()
        }
        await connectionsReach(server.sluice, 1, 5_000, 'the raw stream to be released')
        await canary(run)
      }),
      { numRuns: RAW_RUNS },
    )
    expect(faults.faults).toEqual([])
    expect(reported).toEqual([])
    figures.add(`- raw headers: ${RAW_RUNS} requests; ${tally(outcomes)}`)
  })

  it('the observer received every canary event, in order', async () => {
    await observer.until(
      () => observer.frames.filter((f) => f.type === 'event').length === canaries,
      5_000,
      `the observer to receive ${canaries} events`,
    )
    const seqs = observer.frames.flatMap((f) => (f.type === 'event' ? [f.seq] : []))
    expect(seqs).toEqual(Array.from({ length: canaries }, (_, i) => i + 1))
    expect(canaries).toBe(Math.floor(RUNS / 25) + Math.floor(RAW_RUNS / 25))
  })
})
