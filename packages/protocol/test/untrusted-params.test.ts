import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  decodeClientMessage,
  decodeLastEventId,
  decodePublishRequest,
  decodeSubscriptionsParam,
  ERROR_CODES,
  encodeBase64Url,
  encodeMessage,
  encodeSubscriptionsParam,
  formatPosition,
  isValidTopic,
  KIND_PATTERN,
  parsePosition,
  utf8Length,
} from '../src'
import { clientFrame, position, subscriptionRequest, topic } from './arbitraries'

// properties.test.ts covers the frame decoders on any JSON and decodeClientMessage on any text
// with the default limits. These cover the rest of what a server decodes from the network (the
// SSE connect's `subscriptions` and Last-Event-ID, the HTTP publish body) and the message
// decoder under small limits, where LIMIT_EXCEEDED is reachable: never a throw, always a
// result, and every refusal a wire code.

const wireCodes = Object.keys(ERROR_CODES).filter(
  (code) => ERROR_CODES[code as keyof typeof ERROR_CODES].wire,
)

/** Any JSON object with protocol-ish keys, values anything: what a hostile client sends in a frame's place. */
const frameShaped = fc.dictionary(
  fc.constantFrom(
    'topic',
    'filter',
    'from',
    'snapshot',
    'presence',
    'kind',
    'key',
    'data',
    'meta',
    'id',
    'type',
  ),
  fc.jsonValue({ maxDepth: 2 }),
)

const base64Json = (value: unknown) => encodeBase64Url(JSON.stringify(value) ?? '')

describe('decoders a server feeds from the network', () => {
  test('decodeSubscriptionsParam: a list within the limits, or BAD_REQUEST / LIMIT_EXCEEDED on subscriptions', () => {
    const param = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.jsonValue({ maxDepth: 3 }).map(base64Json),
      fc.array(frameShaped, { maxLength: 4 }).map(base64Json),
      fc.array(subscriptionRequest, { maxLength: 6 }).map(encodeSubscriptionsParam),
    )
    const options = fc.record({
      maxSubscriptions: fc.nat(5),
      maxTopicLength: fc.integer({ min: 1, max: 50 }),
    })
    fc.assert(
      fc.property(param, options, (text, limits) => {
        const result = decodeSubscriptionsParam(text, limits)
        if (!result.ok) {
          expect(['BAD_REQUEST', 'LIMIT_EXCEEDED']).toContain(result.error.code)
          expect(result.error.field).toMatch(/^subscriptions(\.|$)/)
          return
        }
        const topics = result.value.map((entry) => entry.topic)
        expect(topics.length).toBeLessThanOrEqual(limits.maxSubscriptions)
        expect(new Set(topics).size).toBe(topics.length)
        for (const entry of result.value) {
          expect(isValidTopic(entry.topic, limits.maxTopicLength)).toBe(true)
          for (const key of Object.keys(entry))
            expect(['topic', 'filter', 'from', 'snapshot', 'presence']).toContain(key)
        }
      }),
      { numRuns: 500 },
    )
  })

  test("decodeLastEventId: null, or valid positions of the stream's own topics", () => {
    const positionText = position.map(formatPosition)
    const header = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      positionText,
      fc.jsonValue({ maxDepth: 2 }).map((value) => `m.${base64Json(value)}`),
      fc
        .dictionary(
          fc.oneof(topic, fc.string({ maxLength: 8 })),
          fc.oneof(positionText, fc.jsonValue({ maxDepth: 1 })),
          {
            maxKeys: 4,
          },
        )
        .map((cursor) => `m.${base64Json(cursor)}`),
    )
    fc.assert(
      fc.property(header, fc.uniqueArray(topic, { maxLength: 4 }), (text, topics) => {
        const positions = decodeLastEventId(text, topics)
        if (positions === null) return
        for (const [name, at] of positions) {
          expect(topics).toContain(name)
          // A position the stream can resume from: its text form parses back to it.
          expect(parsePosition(formatPosition(at))).toEqual(at)
        }
        // A bare position belongs to the one topic of a single-topic stream, and only there.
        if (!text.startsWith('m.')) expect([...positions.keys()]).toEqual(topics)
      }),
      { numRuns: 500 },
    )
  })

  test('decodePublishRequest: a valid topic and kind, or a wire code', () => {
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      frameShaped,
      fc.record({
        topic: fc.oneof(topic, fc.jsonValue({ maxDepth: 1 })),
        kind: fc.oneof(fc.string(), fc.jsonValue()),
      }),
    )
    fc.assert(
      fc.property(body, fc.integer({ min: 1, max: 50 }), (value, maxTopicLength) => {
        const result = decodePublishRequest(value, { maxTopicLength })
        if (!result.ok) {
          expect(wireCodes).toContain(result.error.code)
          return
        }
        expect(isValidTopic(result.value.topic, maxTopicLength)).toBe(true)
        expect(result.value.kind).toMatch(KIND_PATTERN)
        expect(result.value).not.toHaveProperty('type')
      }),
      { numRuns: 500 },
    )
  })

  test('decodeClientMessage under small limits: LIMIT_EXCEEDED exactly past maxFrameBytes and maxBatch', () => {
    const message = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 120 }),
      fc.array(clientFrame, { maxLength: 6 }).map((frames) => encodeMessage(frames)),
      clientFrame.map((frame) => encodeMessage(frame)),
    )
    const limits = fc.record({
      maxFrameBytes: fc.nat(400),
      maxBatch: fc.nat(5),
      maxTopicLength: fc.integer({ min: 1, max: 50 }),
    })
    fc.assert(
      fc.property(message, limits, (text, options) => {
        const result = decodeClientMessage(text, options)
        if (utf8Length(text) > options.maxFrameBytes) {
          expect(result.ok ? null : result.error.code).toBe('LIMIT_EXCEEDED')
          return
        }
        let parsed: unknown
        try {
          parsed = JSON.parse(text)
        } catch {
          expect(result.ok ? null : result.error.code).toBe('BAD_REQUEST')
          return
        }
        if (Array.isArray(parsed) && parsed.length > options.maxBatch && parsed.length > 0) {
          expect(result.ok ? null : result.error.code).toBe('LIMIT_EXCEEDED')
          return
        }
        if (!result.ok) {
          expect(result.error.code).toBe('BAD_REQUEST')
          return
        }
        expect(result.value.length).toBe(Array.isArray(parsed) ? parsed.length : 1)
        for (const frame of result.value) {
          if (!frame.ok) expect(wireCodes).toContain(frame.error.code)
          else if ('topic' in frame.value)
            expect(isValidTopic(frame.value.topic, options.maxTopicLength)).toBe(true)
        }
      }),
      { numRuns: 500 },
    )
  })
})
