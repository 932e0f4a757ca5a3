import { describe, expect, test } from 'vitest'
import {
  type ClientFrame,
  comparePositions,
  compileFilter,
  decodeClientMessage,
  decodeLastEventId,
  decodePublishRequest,
  decodeServerMessage,
  decodeSubscriptionsParam,
  encodeMessage,
  encodeStreamCursor,
  encodeSubscriptionsParam,
  formatPosition,
  formatSseComment,
  formatSseEvent,
  matchesFilter,
  parsePosition,
  type ServerFrame,
  type SubscriptionRequest,
  sseEventName,
  validateFilter,
} from '../src'
import {
  errorOf,
  type FiltersFixture,
  type FramesFixture,
  type InvalidFramesFixture,
  loadFixture,
  type PositionsFixture,
  type PublishRequestsFixture,
  pick,
  type SseFixture,
  type SubscriptionsParamFixture,
} from './fixtures'

const sides = [
  { side: 'client', decode: decodeClientMessage },
  { side: 'server', decode: (text: string) => decodeServerMessage(text) },
] as const

describe.each(sides)('$side frames', ({ side, decode }) => {
  const valid = loadFixture<FramesFixture>(`${side}-frames.valid.json`)
  const invalid = loadFixture<InvalidFramesFixture>(`${side}-frames.invalid.json`)

  test.each(valid.cases)('decodes: $name', ({ text, options, frames }) => {
    const message = side === 'client' ? decodeClientMessage(text, options) : decode(text)
    expect(message).toStrictEqual({ ok: true, value: frames.map((value) => ({ ok: true, value })) })
  })

  test.each(valid.cases)('re-encodes to text that decodes the same: $name', ({ text, options, frames }) => {
    const once = side === 'client' ? decodeClientMessage(text, options) : decode(text)
    if (!once.ok) throw once.error
    const values = once.value.map((result) => (result.ok ? result.value : result.error))
    // A single frame stays a single frame: wrapping it in a batch would add bytes to a case at the limit.
    const batch = text.trimStart().startsWith('[')
    const encoded = encodeMessage(batch ? (values as ClientFrame[]) : (values[0] as ClientFrame))
    const twice = side === 'client' ? decodeClientMessage(encoded, options) : decode(encoded)
    expect(twice).toStrictEqual({ ok: true, value: frames.map((value) => ({ ok: true, value })) })
  })

  test.each(invalid.cases)('rejects: $name', ({ text, options, level, error }) => {
    const message = side === 'client' ? decodeClientMessage(text, options) : decode(text)
    if (level === 'message') {
      expect(errorOf(message)).toEqual(error)
      return
    }
    if (!message.ok) throw message.error
    expect(message.value).toHaveLength(1)
    expect(errorOf(message.value[0]!)).toEqual(error)
  })

  test.each(invalid.batches)('batch: $name', ({ text, results }) => {
    const message = decode(text)
    if (!message.ok) throw message.error
    expect(
      message.value.map((result) => (result.ok ? { frame: result.value } : { error: errorOf(result) })),
    ).toStrictEqual(results)
  })
})

describe('filters', () => {
  const fixture = loadFixture<FiltersFixture>('filters.json')

  test.each(fixture.matches)('$name', ({ filter, meta, matches }) => {
    expect(validateFilter(filter)).toBeNull()
    expect(matchesFilter(filter, meta)).toBe(matches)
    expect(compileFilter(filter)(meta)).toBe(matches)
  })

  test.each(fixture.invalid)('rejects: $name', ({ filter, error }) => {
    const problem = validateFilter(filter, 'filter')
    expect(problem && pick(problem)).toEqual(error)
  })
})

describe('positions', () => {
  const fixture = loadFixture<PositionsFixture>('positions.json')

  test.each(fixture.parse)('parsePosition($text)', ({ text, position }) => {
    expect(parsePosition(text)).toEqual(position)
  })

  test.each(fixture.format)('formatPosition → $text', ({ position, text }) => {
    expect(formatPosition(position)).toBe(text)
    expect(parsePosition(text)).toEqual(position)
  })

  test.each(fixture.compare)('comparePositions($a, $b)', ({ a, b, order }) => {
    const result = comparePositions(a, b)
    expect(result === null ? null : Math.sign(result)).toBe(order)
  })
})

describe('sse', () => {
  const fixture = loadFixture<SseFixture>('sse.json')

  test.each(fixture.frames)('frame: $name', ({ frame, id, retry, text }) => {
    const typed = frame as ServerFrame
    const event = sseEventName(typed)
    expect(formatSseEvent({ event, id, retry, data: encodeMessage(typed) })).toBe(text)
  })

  test.each(fixture.fields)('fields: $name', ({ fields, text }) => {
    expect(formatSseEvent(fields)).toBe(text)
  })

  test.each(fixture.comments)('comment: $comment', ({ comment, text }) => {
    expect(formatSseComment(comment)).toBe(text)
  })

  test.each(fixture.cursors)('cursor: $name', ({ positions, cursor }) => {
    expect(encodeStreamCursor(new Map(positions))).toBe(cursor)
    const topics = positions.map(([topic]) => topic)
    expect(decodeLastEventId(cursor, topics)).toEqual(new Map(positions))
  })

  test.each(fixture.lastEventIds)('Last-Event-ID: $name', ({ header, topics, positions }) => {
    const decoded = decodeLastEventId(header, topics)
    expect(decoded && Object.fromEntries(decoded)).toEqual(positions)
  })
})

describe('subscriptions param', () => {
  const fixture = loadFixture<SubscriptionsParamFixture>('subscriptions-param.json')

  test.each(fixture.valid)('$name', ({ subscriptions, param, decoded }) => {
    if (subscriptions) expect(encodeSubscriptionsParam(subscriptions as SubscriptionRequest[])).toBe(param)
    expect(decodeSubscriptionsParam(param)).toStrictEqual({ ok: true, value: decoded })
  })

  test.each(fixture.invalid)('rejects: $name', ({ param, options, error }) => {
    expect(errorOf(decodeSubscriptionsParam(param, options))).toEqual(error)
  })
})

describe('HTTP publish bodies', () => {
  const fixture = loadFixture<PublishRequestsFixture>('publish-requests.json')

  test.each(fixture.valid)('$name', ({ body, request }) => {
    expect(decodePublishRequest(body)).toStrictEqual({ ok: true, value: request })
  })

  test.each(fixture.invalid)('rejects: $name', ({ body, error }) => {
    expect(errorOf(decodePublishRequest(body))).toEqual(error)
  })
})
