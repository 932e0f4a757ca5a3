import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  comparePositions,
  decodeBase64Url,
  decodeClientFrame,
  decodeClientMessage,
  decodeLastEventId,
  decodeServerFrame,
  decodeServerMessage,
  decodeSubscriptionsParam,
  ERROR_CODES,
  encodeBase64Url,
  encodeMessage,
  encodeStreamCursor,
  encodeSubscriptionsParam,
  formatPosition,
  matchesFilter,
  parsePosition,
  utf8Length,
  validateFilter,
} from '../src'
import { clientFrame, filter, meta, position, serverFrame, subscriptionRequest, topic } from './arbitraries'

// The decoded frame must equal what JSON itself makes of the encoded text: decoding neither
// loses a field nor invents one (JSON normalizes -0 to 0, which both sides then agree on).
const viaJson = (text: string): unknown => JSON.parse(text)

describe('round trips', () => {
  test('every client frame: encode → decode', () => {
    fc.assert(
      fc.property(clientFrame, (frame) => {
        const text = encodeMessage(frame)
        expect(decodeClientMessage(text, { maxFrameBytes: Number.MAX_SAFE_INTEGER })).toEqual({
          ok: true,
          value: [{ ok: true, value: viaJson(text) }],
        })
      }),
      { numRuns: 500 },
    )
  })

  test('every server frame: encode → decode', () => {
    fc.assert(
      fc.property(serverFrame, (frame) => {
        const text = encodeMessage(frame)
        expect(decodeServerMessage(text)).toEqual({ ok: true, value: [{ ok: true, value: viaJson(text) }] })
      }),
      { numRuns: 500 },
    )
  })

  test('batches of client frames keep count and order', () => {
    fc.assert(
      fc.property(fc.array(clientFrame, { minLength: 1, maxLength: 10 }), (frames) => {
        const text = encodeMessage(frames)
        const expected = (viaJson(text) as unknown[]).map((value) => ({ ok: true, value }))
        expect(decodeClientMessage(text, { maxFrameBytes: Number.MAX_SAFE_INTEGER })).toEqual({
          ok: true,
          value: expected,
        })
      }),
    )
  })

  test('base64url', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const encoded = encodeBase64Url(text)
        expect(encoded).toMatch(/^[A-Za-z0-9_-]*$/)
        expect(decodeBase64Url(encoded)).toBe(text)
      }),
    )
  })

  test('subscriptions param', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(subscriptionRequest, { selector: (entry) => entry.topic, maxLength: 5 }),
        (list) => {
          const param = encodeSubscriptionsParam(list)
          expect(param).toMatch(/^[A-Za-z0-9_-]*$/)
          expect(decodeSubscriptionsParam(param)).toEqual({ ok: true, value: viaJson(JSON.stringify(list)) })
        },
      ),
    )
  })

  test('stream cursor keeps a topic named __proto__ (found by the property below)', () => {
    const positions = new Map([['__proto__', { epoch: 'A', seq: 0 }]])
    expect(decodeLastEventId(encodeStreamCursor(positions), ['__proto__'])).toEqual(positions)
  })

  test('stream cursor', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(topic, position), { selector: ([name]) => name, maxLength: 6 }),
        (entries) => {
          const positions = new Map(entries)
          const cursor = encodeStreamCursor(positions)
          expect(cursor.startsWith('m.')).toBe(true)
          expect(decodeLastEventId(cursor, [...positions.keys()])).toEqual(positions)
        },
      ),
    )
  })

  test('position text form', () => {
    fc.assert(
      fc.property(position, (value) => {
        expect(parsePosition(formatPosition(value))).toEqual(value)
      }),
    )
  })
})

describe('positions', () => {
  test('comparePositions is antisymmetric, and null exactly across epochs', () => {
    fc.assert(
      fc.property(position, position, fc.boolean(), (a, b, sameEpoch) => {
        const right = sameEpoch ? { ...b, epoch: a.epoch } : b
        const ab = comparePositions(a, right)
        const ba = comparePositions(right, a)
        if (a.epoch !== right.epoch) {
          expect([ab, ba]).toEqual([null, null])
          return
        }
        // `+ 0` folds -0 into 0: equal positions compare 0 both ways, and toBe tells 0 from -0.
        expect(Math.sign(ab as number)).toBe(-Math.sign(ba as number) + 0)
        expect(ab === 0).toBe(a.seq === right.seq)
      }),
    )
  })
})

describe('filters', () => {
  test('generated filters validate', () => {
    fc.assert(
      fc.property(filter, (value) => {
        expect(validateFilter(value)).toBeNull()
      }),
    )
  })

  test('not negates, and/or agree with every/some', () => {
    fc.assert(
      fc.property(
        fc.array(filter, { minLength: 1, maxLength: 3 }),
        fc.option(meta, { nil: undefined }),
        (parts, m) => {
          const results = parts.map((part) => matchesFilter(part, m))
          expect(matchesFilter({ and: parts }, m)).toBe(results.every(Boolean))
          expect(matchesFilter({ or: parts }, m)).toBe(results.some(Boolean))
          for (const [i, part] of parts.entries()) expect(matchesFilter({ not: part }, m)).toBe(!results[i])
        },
      ),
    )
  })
})

describe('untrusted input', () => {
  const wireCodes = Object.keys(ERROR_CODES).filter(
    (code) => ERROR_CODES[code as keyof typeof ERROR_CODES].wire,
  )

  test('decoders never throw on any JSON value and fail with a wire code', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        for (const result of [decodeClientFrame(value), decodeServerFrame(value)]) {
          if (!result.ok) expect(wireCodes).toContain(result.error.code)
        }
      }),
    )
  })

  test('frame-shaped garbage: a known type with random fields never throws', () => {
    const types = ['subscribe', 'unsubscribe', 'publish', 'call', 'auth', 'setPresence', 'ping']
    const serverTypes = [
      'welcome',
      'subscribed',
      'event',
      'presence',
      'ack',
      'error',
      'reconnect',
      'snapshot',
      'signal',
    ]
    fc.assert(
      fc.property(
        fc.constantFrom(...types, ...serverTypes),
        fc.dictionary(
          fc.constantFrom(
            'id',
            'topic',
            'filter',
            'from',
            'state',
            'members',
            'member',
            'limits',
            'issues',
            'code',
            'seq',
            'epoch',
            'kind',
            'ts',
            'name',
            'data',
          ),
          fc.jsonValue({ maxDepth: 2 }),
        ),
        (type, fields) => {
          const value = { ...fields, type }
          expect(() => decodeClientFrame(value)).not.toThrow()
          expect(() => decodeServerFrame(value)).not.toThrow()
        },
      ),
    )
  })

  test('message decoders never throw on any text, and fail only with BAD_REQUEST', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.json()), (text) => {
        for (const message of [decodeClientMessage(text), decodeServerMessage(text)]) {
          if (!message.ok) expect(message.error.code).toBe('BAD_REQUEST')
          else
            for (const result of message.value) if (!result.ok) expect(wireCodes).toContain(result.error.code)
        }
      }),
    )
  })

  test('utf8Length agrees with TextEncoder', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length)
      }),
    )
  })

  test('utf8Length agrees with TextEncoder on lone surrogates', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 20 }), (units) => {
        const text = String.fromCharCode(...units)
        expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length)
      }),
    )
  })
})
