/**
 * fast-check arbitraries for what a hostile or broken client puts on the wire. Well-formed
 * protocol values come from @sluice/protocol's own test arbitraries (so a new frame type is
 * fuzzed here as soon as it is added there); this file bends them: fields dropped, replaced by
 * any JSON, unknown types, batches, random text and bytes, sizes around the limits.
 */
import { decodeBase64Url, encodeBase64Url, encodeSubscriptionsParam } from '@sluice/protocol'
import fc from 'fast-check'
import {
  clientFrame,
  json,
  jsonObject,
  kind,
  position,
  subscriptionRequest,
  topic,
} from '../../../packages/protocol/test/arbitraries'

/** The topic the well-behaved observer listens to: no fuzzed input ever names it. */
export const CANARY = 'canary'

const FIELDS = [
  'type',
  'id',
  'topic',
  'filter',
  'from',
  'snapshot',
  'presence',
  'kind',
  'key',
  'data',
  'meta',
  'name',
  'args',
  'token',
  'state',
]

const mentionsCanary = (value: unknown): boolean => JSON.stringify(value)?.includes(`"${CANARY}"`) ?? false

/** An object bent one way or another: as generated, a field gone, a field replaced, a field added. */
function bend(base: fc.Arbitrary<object>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(base, fc.nat(3), fc.nat(), fc.constantFrom(...FIELDS), fc.jsonValue({ maxDepth: 2 }))
    .map(([value, how, which, field, replacement]) => {
      const out: Record<string, unknown> = { ...(value as Record<string, unknown>) }
      const keys = Object.keys(out)
      if (how === 1 && keys.length > 0) delete out[keys[which % keys.length] as string]
      if (how >= 2) out[field] = replacement
      return out
    })
}

/** A client frame as generated or bent; a type nobody knows now and then. */
export const validishFrame: fc.Arbitrary<unknown> = fc
  .oneof(
    { arbitrary: clientFrame, weight: 3 },
    { arbitrary: bend(clientFrame), weight: 4 },
    {
      arbitrary: fc.record({ type: fc.string({ maxLength: 12 }), id: fc.string({ maxLength: 8 }) }),
      weight: 1,
    },
  )
  .filter((frame) => !mentionsCanary(frame))

/** One WebSocket message, as the test sends it. */
export type WsMessage =
  | { kind: 'text'; text: string }
  | { kind: 'binary'; bytes: Uint8Array }
  /** Bytes sent as a text message: not necessarily UTF-8. */
  | { kind: 'raw-text'; bytes: Uint8Array }

/** WebSocket messages: frames, batches (empty and over maxBatch), any JSON, any text, bytes, oversize. */
export function wsMessage(maxFrameBytes: number): fc.Arbitrary<WsMessage> {
  const text = (arbitrary: fc.Arbitrary<string>) =>
    arbitrary.map((t): WsMessage => ({ kind: 'text', text: t }))
  return fc.oneof(
    { arbitrary: text(validishFrame.map((frame) => JSON.stringify(frame))), weight: 6 },
    {
      arbitrary: text(fc.array(validishFrame, { maxLength: 12 }).map((frames) => JSON.stringify(frames))),
      weight: 3,
    },
    {
      arbitrary: text(fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? 'null')),
      weight: 2,
    },
    { arbitrary: text(fc.string({ unit: 'binary', maxLength: 200 })), weight: 2 },
    {
      arbitrary: text(
        fc
          .integer({ min: maxFrameBytes - 16, max: maxFrameBytes + 16 })
          .map((size) => JSON.stringify({ type: 'ping', id: 'x'.repeat(Math.max(0, size - 24)) })),
      ),
      weight: 1,
    },
    {
      arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes): WsMessage => ({ kind: 'binary', bytes })),
      weight: 1,
    },
    {
      arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes): WsMessage => ({ kind: 'raw-text', bytes })),
      weight: 1,
    },
  )
}

/** Text a header can carry through node:http's client (tab, printable ASCII, latin1). */
export const headerText: fc.Arbitrary<string> = fc.string({
  unit: fc
    .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(9))
    .map((code) => String.fromCharCode(code)),
  maxLength: 80,
})

/** `?subscriptions=`: a real list, bent entries, any JSON, not base64url at all, too many topics. */
export const subscriptionsParam: fc.Arbitrary<string> = fc
  .oneof(
    fc
      .uniqueArray(subscriptionRequest, { selector: (entry) => entry.topic, maxLength: 4 })
      .map(encodeSubscriptionsParam),
    fc
      .array(bend(subscriptionRequest), { maxLength: 4 })
      .map((list) => encodeBase64Url(JSON.stringify(list))),
    fc.jsonValue({ maxDepth: 2 }).map((value) => encodeBase64Url(JSON.stringify(value) ?? '')),
    fc.string({ maxLength: 40 }),
    fc
      .integer({ min: 11, max: 14 })
      .map((count) =>
        encodeSubscriptionsParam(Array.from({ length: count }, (_, i) => ({ topic: `t${i}` }))),
      ),
  )
  .filter((param) => !(decodeBase64Url(param) ?? '').includes(`"${CANARY}"`))

/** `Last-Event-ID` / `?lastEventId=`: positions, stream cursors (real and bent), anything. */
export const lastEventId: fc.Arbitrary<string> = fc.oneof(
  position.map(({ epoch, seq }) => `${epoch}:${seq}`),
  fc
    .dictionary(
      topic,
      fc.oneof(
        position.map(({ epoch, seq }) => `${epoch}:${seq}`),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      {
        maxKeys: 3,
      },
    )
    .map((cursor) => `m.${encodeBase64Url(JSON.stringify(cursor))}`),
  fc.string({ maxLength: 60 }).map((text) => `m.${text}`),
  headerText,
)

/** A `POST /publish` body: a request as it should be, bent, any JSON, not JSON. */
export const publishBody: fc.Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc
      .record(
        {
          // A few topics and ids come back often, so that retries (duplicates) happen.
          topic: fc.oneof(fc.constantFrom('news', 'orders'), topic),
          kind,
          key: fc.string({ minLength: 1, maxLength: 16 }),
          data: json,
          meta: jsonObject,
          id: fc.oneof(fc.constantFrom('job-1', 'job-2'), fc.string({ maxLength: 10 })),
        },
        { requiredKeys: ['topic', 'kind'] },
      )
      .filter((body) => body.topic !== CANARY)
      .map((body) => JSON.stringify(body)),
    weight: 3,
  },
  {
    arbitrary: bend(fc.record({ topic, kind, data: json }))
      .filter((body) => !mentionsCanary(body))
      .map((body) => JSON.stringify(body)),
    weight: 3,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value) ?? ''), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 100 }), weight: 1 },
)

/** A client WebSocket frame as bytes, any header bits, masked or not, any payload. */
export interface RawWsFrame {
  fin: boolean
  /** The three reserved bits (no extension is negotiated: any set one is a violation). */
  rsv: number
  opcode: number
  masked: boolean
  payload: Uint8Array
}

/** Encodes a {@link RawWsFrame} as it is, violations included (RFC 6455 § 5.2). */
export function encodeRawWsFrame(frame: RawWsFrame): Buffer {
  const { payload } = frame
  const first = (frame.fin ? 0x80 : 0) | (frame.rsv << 4) | frame.opcode
  const maskBit = frame.masked ? 0x80 : 0
  const header =
    payload.length < 126
      ? Buffer.from([first, maskBit | payload.length])
      : Buffer.from([first, maskBit | 126, payload.length >> 8, payload.length & 0xff])
  if (!frame.masked) return Buffer.concat([header, payload])
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78])
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)))
  return Buffer.concat([header, mask, masked])
}

/**
 * Where a frame belongs: a frame with any header (mostly masked and with a known opcode, so
 * some get past the framing layer), or bytes that are no frame at all.
 */
export const rawWsBytes: fc.Arbitrary<{ bytes: Buffer; frame?: RawWsFrame }> = fc.oneof(
  {
    arbitrary: fc
      .record({
        fin: fc.boolean(),
        rsv: fc.oneof({ arbitrary: fc.constant(0), weight: 4 }, { arbitrary: fc.nat(7), weight: 1 }),
        opcode: fc.constantFrom(0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa, 0xb),
        masked: fc.oneof(
          { arbitrary: fc.constant(true), weight: 4 },
          { arbitrary: fc.constant(false), weight: 1 },
        ),
        payload: fc.oneof(
          fc.uint8Array({ maxLength: 140 }),
          validishFrame.map((value) => new TextEncoder().encode(JSON.stringify(value))),
        ),
      })
      .map((frame) => ({ bytes: encodeRawWsFrame(frame), frame })),
    weight: 4,
  },
  {
    arbitrary: fc.uint8Array({ minLength: 1, maxLength: 24 }).map((bytes) => ({ bytes: Buffer.from(bytes) })),
    weight: 1,
  },
)
