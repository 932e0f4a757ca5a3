import { describe, expect, test } from 'vitest'
import {
  compileFilter,
  DEFAULT_LIMITS,
  decodeClientFrame,
  decodeClientMessage,
  decodeLastEventId,
  decodeServerMessage,
  decodeSubscriptionsParam,
  encodeMessage,
  encodeSubscriptionsParam,
  type Filter,
  validateFilter,
} from '../src'

// Focused cases the fixtures cannot express: exact messages, non-JSON inputs, defaults.

describe('error messages name the field, the expectation and what was received', () => {
  test('a bad topic', () => {
    const result = decodeClientFrame({ type: 'subscribe', id: 's1', topic: 'a b' })
    expect(result.ok ? null : { ...result.error, message: result.error.message }).toEqual({
      message: 'subscribe.topic must be a topic name of [A-Za-z0-9._~:@/+=-], received "a b"',
      name: 'ProtocolError',
      code: 'BAD_REQUEST',
      id: 's1',
      field: 'topic',
      expected: 'a topic name of [A-Za-z0-9._~:@/+=-]',
      received: '"a b"',
    })
  })

  test('long received strings are summarized, never echoed', () => {
    const pasted = 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ'
    const result = decodeClientFrame({ type: 'subscribe', topic: pasted })
    expect(result.ok ? null : [result.error.message, result.error.received]).toEqual([
      'subscribe.topic must be a topic name of [A-Za-z0-9._~:@/+=-], received string(50)',
      'string(50)',
    ])
  })

  test('received types', () => {
    const messages = [{ seq: 1.5 }, null, [1], true].map((from) => {
      const result = decodeClientFrame({ type: 'subscribe', topic: 't', from })
      return result.ok ? null : result.error.received
    })
    expect(messages).toEqual(['object', 'null', 'array', 'boolean'])
  })

  test('unknown frame type', () => {
    const result = decodeClientFrame({ type: 'nope', id: 'q' })
    expect(result.ok ? null : result.error.message).toBe('unknown client frame type "nope"')
  })

  test('over-long strings', () => {
    const result = decodeClientFrame({ type: 'call', id: 'c', name: 'n'.repeat(129) })
    expect(result.ok ? null : result.error.message).toBe('call.name is longer than 128 characters')
  })

  test('filter problems carry the frame field as their root', () => {
    const result = decodeClientFrame({
      type: 'subscribe',
      topic: 't',
      filter: { or: [{ field: 'a', in: 'x' }] },
    })
    expect(result.ok ? null : [result.error.message, result.error.field, result.error.expected]).toEqual([
      'filter.or.0.in must be an array of scalars',
      'filter.or.0.in',
      'an array of scalars',
    ])
    expect(validateFilter({ field: 'a', exists: 1 }, 'subscriptions.3.filter')?.field).toBe(
      'subscriptions.3.filter.exists',
    )
  })
})

describe('messages', () => {
  test('a non-string message (a binary frame handed over by mistake) is BAD_REQUEST', () => {
    const result = decodeClientMessage(new Uint8Array([123, 125]) as unknown as string)
    expect(result.ok ? null : [result.error.code, result.error.message]).toEqual([
      'BAD_REQUEST',
      'a message must be a text frame',
    ])
  })

  test('the default frame limit is DEFAULT_LIMITS.maxFrameBytes, counted in UTF-8 bytes', () => {
    const frame = (padding: string) => `{"type":"ping","id":"x","pad":"${padding}"}`
    const room = DEFAULT_LIMITS.maxFrameBytes - frame('').length
    const exact = frame('é'.repeat(Math.floor(room / 2)) + 'x'.repeat(room % 2))
    expect(new TextEncoder().encode(exact).length).toBe(DEFAULT_LIMITS.maxFrameBytes)
    expect(decodeClientMessage(exact)).toEqual({
      ok: true,
      value: [{ ok: true, value: { type: 'ping', id: 'x' } }],
    })
    const over = decodeClientMessage(`${exact} `)
    expect(over.ok ? null : [over.error.code, over.error.message]).toEqual([
      'LIMIT_EXCEEDED',
      'message is larger than 65536 bytes',
    ])
  })

  test('a client accepts server messages of any size: limits bind what servers accept', () => {
    const result = 'x'.repeat(DEFAULT_LIMITS.maxFrameBytes + 1)
    expect(decodeServerMessage(encodeMessage({ type: 'result', id: 'c', result }))).toEqual({
      ok: true,
      value: [{ ok: true, value: { type: 'result', id: 'c', result } }],
    })
  })

  test('batch limit message', () => {
    const result = decodeClientMessage(encodeMessage([{ type: 'ping' }, { type: 'ping' }]), { maxBatch: 1 })
    expect(result.ok ? null : result.error.message).toBe('a batch holds at most 1 frames, received 2')
  })

  test('a throwing getter (a caller passing a live object) becomes BAD_REQUEST, not an exception', () => {
    const hostile = {
      type: 'subscribe',
      get topic(): string {
        throw new Error('getter')
      },
    }
    const result = decodeClientFrame(hostile)
    expect(
      result.ok ? null : [result.error.code, result.error.message, (result.error.cause as Error).message],
    ).toEqual(['BAD_REQUEST', 'subscribe frame could not be decoded', 'getter'])
  })
})

describe('filters outside validation', () => {
  test('compileFilter on an unvalidated filter matches nothing instead of throwing', () => {
    for (const filter of [{}, { field: 'a' }, { field: 'a', bogus: 1 }, { field: 1, equals: 1 }]) {
      expect(compileFilter(filter as unknown as Filter)({ a: 1 })).toBe(false)
    }
  })
})

describe('SSE resume', () => {
  test('a single-topic position applies to the only topic, whatever its name', () => {
    expect(decodeLastEventId('e:4', ['todos/list-1'])).toEqual(
      new Map([['todos/list-1', { epoch: 'e', seq: 4 }]]),
    )
  })
})

describe('subscriptions param', () => {
  test('the param of the spec example', () => {
    expect(
      encodeSubscriptionsParam([
        { topic: 'todos/list-1', snapshot: 'always' },
        { topic: 'chat/room-7', filter: { field: 'lang', equals: 'en' } },
      ]),
    ).toBe(
      'W3sidG9waWMiOiJ0b2Rvcy9saXN0LTEiLCJzbmFwc2hvdCI6ImFsd2F5cyJ9LHsidG9waWMiOiJjaGF0L3Jvb20tNyIsImZpbHRlciI6eyJmaWVsZCI6ImxhbmciLCJlcXVhbHMiOiJlbiJ9fV0',
    )
  })

  test('errors inside an entry say which entry', () => {
    const result = decodeSubscriptionsParam(encodeSubscriptionsParam([{ topic: 'a' }, { topic: 'b c' }]))
    expect(result.ok ? null : result.error.message).toBe(
      'subscriptions.1: subscribe.topic must be a topic name of [A-Za-z0-9._~:@/+=-], received "b c"',
    )
  })
})
