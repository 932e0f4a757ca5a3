/**
 * Malformed POSTs against a real server: SSE command POSTs (bodies of frames, bent frames,
 * batches, any JSON, any text, sizes around maxFrameBytes; right, wrong and missing
 * sluice-connection and sluice-key headers) and `POST /publish` (bodies as they should be, bent,
 * any JSON, not JSON; right, wrong and missing keys). Every answer must be the endpoint's
 * success or a refusal whose status and error frame code are documented, and where the answer
 * follows from the body alone it must be exactly the protocol decoder's verdict. Replies on the
 * stream must be valid frames; the process sees no uncaught exception or unhandled rejection,
 * the server reports no unexpected error, and an observer keeps receiving.
 */
import {
  decodeClientMessage,
  decodePublishRequest,
  encodeSubscriptionsParam,
  type ServerFrame,
} from '@sluice/protocol'
import { ServerError } from '@sluice/server-node'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { invalidServerFrame, undocumentedHttpError } from './harness/documented'
import { Figures } from './harness/figures'
import { CANARY, headerText, publishBody, validishFrame } from './harness/fuzz-inputs'
import { type HardenedServer, startHardenedServer } from './harness/hardened-server'
import { HttpCaller } from './harness/http-call'
import { type ProcessFaults, watchProcessFaults } from './harness/process-faults'
import { SseStream } from './harness/sse-stream'
import { tally } from './harness/tally'
import { sized } from './support/sizing'

const RUNS = sized(800, 16_000)
const LIMITS = { maxFrameBytes: 4_096, maxBatch: 8, maxSubscriptions: 10, maxTopicLength: 200 }
const PUBLISH_KEY = 'publish-key'

const figures = new Figures('fuzz-post')
afterAll(() => figures.publish())

let server: HardenedServer
let faults: ProcessFaults
let http: HttpCaller
let observer: SseStream
let canaries = 0
const reported: string[] = []

beforeAll(async () => {
  faults = watchProcessFaults()
  server = await startHardenedServer(
    {
      limits: LIMITS,
      rateLimit: false,
      publishKeys: [PUBLISH_KEY],
      authenticate: ({ token }) => {
        if (token === undefined) return null
        if (token === 'good') return { id: 'user-1' }
        throw new ServerError('UNAUTHORIZED', 'unknown token')
      },
      authorize: () => true,
      snapshot: (topic) => ({ topic }),
      procedures: { echo: (args: unknown) => args },
      onError: (error, context) => {
        reported.push(`${context.operation}: ${error instanceof Error ? error.message : String(error)}`)
      },
    },
    {},
  )
  http = new HttpCaller(server.port)
  observer = await SseStream.connect(
    `${server.url}/sse?v=1&subscriptions=${encodeSubscriptionsParam([{ topic: CANARY }])}`,
  )
  await observer.frame((f) => f.type === 'subscribed', 5_000, 'the observer to subscribe')
})

afterAll(async () => {
  http.close()
  await observer.close()
  await server.close()
  faults.stop()
})

async function canary(run: number): Promise<void> {
  if (run % 25 !== 0) return
  canaries++
  await server.sluice.publish(CANARY, { kind: 'created', key: `c${canaries}` })
}

/** A command POST body: one frame, a batch, any JSON, any text, or a ping padded around the limit. */
const commandBody = fc.oneof(
  { arbitrary: validishFrame.map((frame) => JSON.stringify(frame)), weight: 5 },
  {
    arbitrary: fc.array(validishFrame, { maxLength: 10 }).map((frames) => JSON.stringify(frames)),
    weight: 3,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value) ?? ''), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 100 }), weight: 1 },
  {
    arbitrary: fc
      .integer({ min: LIMITS.maxFrameBytes - 8, max: LIMITS.maxFrameBytes + 8 })
      .map((size) => JSON.stringify({ type: 'ping', id: 'x'.repeat(Math.max(0, size - 24)) })),
    weight: 1,
  },
)

type Credential = 'right' | 'wrong' | 'missing'
const credential = fc.oneof(
  { arbitrary: fc.constant<Credential>('right'), weight: 6 },
  { arbitrary: fc.constantFrom<Credential>('wrong', 'missing'), weight: 1 },
)

describe('POST fuzzing', () => {
  it(`${RUNS} command POSTs: 202 with the decoder's count, or a documented refusal`, async () => {
    let stream = await SseStream.connect(`${server.url}/sse?v=1`)
    const streams = [stream]
    const welcomeOf = (s: SseStream) => s.frames[0] as Extract<ServerFrame, { type: 'welcome' }>
    await stream.frame((f) => f.type === 'welcome', 5_000, 'the command stream welcome')
    let run = 0
    const outcomes: string[] = []
    await fc.assert(
      fc.asyncProperty(
        commandBody,
        credential,
        credential,
        fc.option(headerText, { nil: undefined }),
        async (body, connection, key, contentType) => {
          run++
          if (!server.sluice.connections().some((c) => c.id === welcomeOf(stream).connectionId)) {
            stream = await SseStream.connect(`${server.url}/sse?v=1`)
            streams.push(stream)
            await stream.frame((f) => f.type === 'welcome', 5_000, 'a new command stream welcome')
          }
          const { connectionId, commandKey } = welcomeOf(stream)
          const headers: Record<string, string> = {}
          if (connection !== 'missing')
            headers['sluice-connection'] = connection === 'right' ? connectionId : 'x.y'
          if (key !== 'missing')
            headers['sluice-key'] = key === 'right' ? (commandKey as string) : 'not-the-key'
          if (contentType !== undefined) headers['content-type'] = contentType
          const answer = await http.call('POST', '/realtime/sse/commands', headers, body)
          if (answer.status !== 202) {
            expect(undocumentedHttpError(answer.status, answer.body)).toBeNull()
          }
          if (connection === 'right' && key === 'right') {
            // Past the stream checks the body decides, and exactly as the protocol decoder does.
            const size = Buffer.byteLength(body)
            const decoded = decodeClientMessage(body, LIMITS)
            const expected =
              size > LIMITS.maxFrameBytes
                ? { status: 413, code: 'LIMIT_EXCEEDED' }
                : decoded.ok
                  ? { status: 202, accepted: decoded.value.length }
                  : { status: answer.status, code: decoded.error.code }
            const { code, accepted } = answer.body as { code?: string; accepted?: number }
            expect({
              status: answer.status,
              ...(code ? { code } : {}),
              ...(accepted !== undefined ? { accepted } : {}),
            }).toEqual(expected)
          }
          outcomes.push(
            answer.status === 202 ? '202' : `${answer.status} ${(answer.body as { code: string }).code}`,
          )
          await canary(run)
        },
      ),
      { numRuns: RUNS },
    )
    // What the commands answered on their streams: valid frames with documented codes only.
    const invalid = streams
      .flatMap((s) => s.frames.map(invalidServerFrame))
      .filter((reason) => reason !== null)
    expect(invalid).toEqual([])
    expect(faults.faults).toEqual([])
    expect(reported).toEqual([])
    const replies = streams.flatMap((s) =>
      s.frames.map((f) => (f.type === 'error' ? `error ${f.code}` : f.type)),
    )
    figures.add(
      `- commands: ${RUNS} POSTs over ${streams.length} streams; answers: ${tally(outcomes)}; ` +
        `stream replies: ${tally(replies)}`,
    )
    await Promise.all(streams.map((s) => s.close()))
  })

  it(`${RUNS} publishes: 200 with a position for what the decoder accepts, or a documented refusal`, async () => {
    let run = 0
    let appended = 0
    const before = server.sluice.stats().eventsPublished
    const outcomes: string[] = []
    const authorization = fc.oneof(
      { arbitrary: fc.constant(`Bearer ${PUBLISH_KEY}`), weight: 6 },
      { arbitrary: fc.constantFrom('Bearer wrong', 'Bearer good', ''), weight: 1 },
      { arbitrary: headerText, weight: 1 },
    )
    await fc.assert(
      fc.asyncProperty(publishBody, authorization, async (body, auth) => {
        run++
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        if (auth !== '') headers.authorization = auth
        const answer = await http.call('POST', '/realtime/publish', headers, body)
        if (answer.status !== 200) {
          expect(undocumentedHttpError(answer.status, answer.body)).toBeNull()
        }
        if (auth === `Bearer ${PUBLISH_KEY}`) {
          let parsed: unknown
          try {
            parsed = JSON.parse(body)
          } catch {
            parsed = undefined
          }
          const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
          const decoded = isObject ? decodePublishRequest(parsed, LIMITS) : null
          if (Buffer.byteLength(body) > LIMITS.maxFrameBytes) {
            expect([answer.status, (answer.body as { code?: string }).code]).toEqual([413, 'LIMIT_EXCEEDED'])
          } else if (decoded?.ok) {
            expect(answer.status).toBe(200)
            expect(answer.body).toEqual({
              epoch: expect.any(String),
              seq: expect.any(Number),
              duplicate: expect.any(Boolean),
            })
          } else {
            // Not JSON, not an object, or refused by the decoder: 400 BAD_REQUEST, or its code.
            const code = decoded && !decoded.ok ? decoded.error.code : 'BAD_REQUEST'
            expect([answer.status, (answer.body as { code?: string }).code]).toEqual([
              code === 'LIMIT_EXCEEDED' ? 413 : 400,
              code,
            ])
          }
        }
        if (answer.status === 200 && !(answer.body as { duplicate: boolean }).duplicate) appended++
        outcomes.push(
          answer.status === 200
            ? `200${(answer.body as { duplicate: boolean }).duplicate ? ' duplicate' : ''}`
            : `${answer.status} ${(answer.body as { code: string }).code}`,
        )
        await canary(run)
      }),
      { numRuns: RUNS },
    )
    // Exactly the publishes answered 200 (and not as duplicates) were appended, plus the canaries.
    const canariesHere = Math.floor(RUNS / 25)
    expect(server.sluice.stats().eventsPublished - before).toBe(appended + canariesHere)
    expect(faults.faults).toEqual([])
    expect(reported).toEqual([])
    figures.add(`- publish: ${RUNS} POSTs; answers: ${tally(outcomes)}`)
  })

  it('the observer received every canary event, in order', async () => {
    await observer.until(
      () => observer.frames.filter((f) => f.type === 'event').length === canaries,
      5_000,
      `the observer to receive ${canaries} events`,
    )
    const seqs = observer.frames.flatMap((f) => (f.type === 'event' ? [f.seq] : []))
    expect(seqs).toEqual(Array.from({ length: canaries }, (_, i) => i + 1))
  })
})
