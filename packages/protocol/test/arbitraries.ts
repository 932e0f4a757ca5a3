import fc from 'fast-check'
import {
  type ClientFrame,
  ERROR_CODES,
  type Filter,
  type FilterScalar,
  type Json,
  type JsonObject,
  type Limits,
  type Position,
  type PresenceMember,
  type ServerFrame,
  type SubscriptionRequest,
  type WireErrorCode,
} from '../src'

/**
 * fast-check arbitraries for well-formed protocol values: every value they produce must
 * decode. Sizes stay inside the default limits (ids ≤ 128 UTF-16 units, topics ≤ 200, filters
 * within FILTER_LIMITS) so a failing property always means a codec bug, never a limit.
 */

const TOPIC_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~:@/+=-'.split('')
const EPOCH_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'.split('')

export const topic = fc.string({ unit: fc.constantFrom(...TOPIC_CHARS), minLength: 1, maxLength: 40 })
export const epoch = fc.string({ unit: fc.constantFrom(...EPOCH_CHARS), minLength: 1, maxLength: 64 })
export const seq = fc.maxSafeNat()
export const position: fc.Arbitrary<Position> = fc.record({ epoch, seq })
/** Any Unicode text; 'binary' units are whole code points, so 64 of them fit 128 UTF-16 units. */
export const id = fc.string({ unit: 'binary', minLength: 1, maxLength: 64 })
export const kind = fc.stringMatching(/^[a-z][a-z0-9_-]{0,31}$/)
export const json: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>
export const jsonObject: fc.Arbitrary<JsonObject> = fc.dictionary(fc.string({ maxLength: 8 }), json, {
  maxKeys: 4,
})
const time = fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e13, noNaN: true }))
const wireCode = fc.constantFrom(
  ...(Object.keys(ERROR_CODES) as Array<keyof typeof ERROR_CODES>).filter((code) => ERROR_CODES[code].wire),
) as fc.Arbitrary<WireErrorCode>

const field = fc
  .array(fc.stringMatching(/^[A-Za-z0-9_$-]{1,8}$/), { minLength: 1, maxLength: 3 })
  .map((segments) => segments.join('.'))
export const scalar: fc.Arbitrary<FilterScalar> = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -5, max: 5 }),
  fc.boolean(),
  fc.constant(null),
)
const ordered = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -5, max: 5 }))

const leaf: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({ field, equals: scalar }),
  fc.record({ field, notEquals: scalar }),
  fc.record({ field, in: fc.array(scalar, { maxLength: 4 }) }),
  fc.record({ field, notIn: fc.array(scalar, { maxLength: 4 }) }),
  fc.record({ field, gt: ordered }),
  fc.record({ field, gte: ordered }),
  fc.record({ field, lt: ordered }),
  fc.record({ field, lte: ordered }),
  fc.record({ field, exists: fc.boolean() }),
  fc.record({ field, contains: scalar }),
)

/** Filters of depth ≤ 4 with ≤ 3 children per node: at most 40 nodes, inside FILTER_LIMITS. */
export const filter: fc.Arbitrary<Filter> = fc.letrec<{ node: Filter }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'filter' },
    leaf,
    fc.record({ and: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ or: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('node') }),
  ),
})).node

/** Metadata shaped like the fields filters read, so matches happen often enough to matter. */
export const meta: fc.Arbitrary<JsonObject> = fc.dictionary(
  fc.stringMatching(/^[A-Za-z0-9_$-]{1,8}$/),
  fc.oneof(
    scalar,
    fc.array(scalar, { maxLength: 3 }),
    fc.dictionary(fc.stringMatching(/^[a-z]{1,3}$/), scalar),
  ),
  { maxKeys: 5 },
)

export const subscriptionRequest: fc.Arbitrary<SubscriptionRequest> = fc.record(
  {
    topic,
    filter,
    from: position,
    snapshot: fc.constantFrom('never', 'always', 'resync'),
    presence: fc.boolean(),
  },
  { requiredKeys: ['topic'] },
)

export const clientFrame: fc.Arbitrary<ClientFrame> = fc.oneof(
  fc.record(
    {
      type: fc.constant('subscribe' as const),
      id,
      topic,
      filter,
      from: position,
      snapshot: fc.constantFrom('never', 'always', 'resync'),
      presence: fc.boolean(),
    },
    { requiredKeys: ['type', 'topic'] },
  ),
  fc.record({ type: fc.constant('unsubscribe' as const), id, topic }, { requiredKeys: ['type', 'topic'] }),
  fc.record(
    {
      type: fc.constant('publish' as const),
      id,
      topic,
      kind,
      key: fc.string({ unit: 'binary', minLength: 1, maxLength: 32 }),
      data: json,
      meta: jsonObject,
      echo: fc.boolean(),
    },
    { requiredKeys: ['type', 'id', 'topic', 'kind'] },
  ),
  fc.record(
    { type: fc.constant('call' as const), id, name: fc.string({ minLength: 1, maxLength: 64 }), args: json },
    { requiredKeys: ['type', 'id', 'name'] },
  ),
  fc.record({ type: fc.constant('auth' as const), id, token: fc.string({ minLength: 1, maxLength: 200 }) }),
  fc.record(
    { type: fc.constant('setPresence' as const), id, topic, state: fc.option(jsonObject, { nil: null }) },
    { requiredKeys: ['type', 'topic', 'state'] },
  ),
  fc.record({ type: fc.constant('ping' as const), id }, { requiredKeys: ['type'] }),
)

const limits: fc.Arbitrary<Limits> = fc.record({
  maxFrameBytes: fc.nat(),
  maxSubscriptions: fc.nat(),
  maxTopicLength: fc.nat(),
  maxBatch: fc.nat(),
})
const member: fc.Arbitrary<PresenceMember> = fc.record(
  {
    connectionId: fc.string({ minLength: 1, maxLength: 16 }),
    identity: fc.option(id, { nil: null }),
    state: jsonObject,
  },
  { requiredKeys: ['connectionId', 'identity'] },
)

export const serverFrame: fc.Arbitrary<ServerFrame> = fc.oneof(
  fc.record(
    {
      type: fc.constant('welcome' as const),
      protocol: fc.constant(1),
      connectionId: id,
      heartbeatMs: fc.nat(),
      limits,
      commandKey: id,
      identity: fc.option(id, { nil: null }),
      expiresAt: time,
    },
    { requiredKeys: ['type', 'protocol', 'connectionId', 'heartbeatMs', 'limits', 'identity'] },
  ),
  fc.record(
    { type: fc.constant('subscribed' as const), id, topic, epoch, seq },
    { requiredKeys: ['type', 'topic', 'epoch', 'seq'] },
  ),
  fc.record(
    { type: fc.constant('unsubscribed' as const), id, topic, reason: wireCode },
    { requiredKeys: ['type', 'topic'] },
  ),
  fc.record(
    {
      type: fc.constant('event' as const),
      topic,
      epoch,
      seq,
      kind,
      key: id,
      data: json,
      meta: jsonObject,
      ts: time,
      publishId: id,
    },
    { requiredKeys: ['type', 'topic', 'epoch', 'seq', 'kind', 'ts'] },
  ),
  fc.record({ type: fc.constant('snapshot' as const), topic, epoch, seq, data: json }),
  fc.record({
    type: fc.constant('resync' as const),
    topic,
    reason: fc.constantFrom('too_old', 'epoch_changed', 'ahead'),
    epoch,
    seq,
  }),
  fc.record({
    type: fc.constant('presence' as const),
    topic,
    action: fc.constant('sync' as const),
    members: fc.array(member, { maxLength: 4 }),
  }),
  fc.record({
    type: fc.constant('presence' as const),
    topic,
    action: fc.constantFrom('join', 'update', 'leave'),
    member,
  }),
  fc.record(
    { type: fc.constant('ack' as const), id, topic, epoch, seq, duplicate: fc.boolean(), expiresAt: time },
    { requiredKeys: ['type', 'id'] },
  ),
  fc.record({ type: fc.constant('result' as const), id, result: json }, { requiredKeys: ['type', 'id'] }),
  fc.record(
    {
      type: fc.constant('error' as const),
      id,
      code: wireCode,
      message: fc.string({ maxLength: 40 }),
      topic,
      field: fc.string({ minLength: 1, maxLength: 20 }),
      issues: fc.array(
        fc.record(
          {
            message: fc.string({ maxLength: 20 }),
            path: fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.nat()), { maxLength: 3 }),
          },
          { requiredKeys: ['message'] },
        ),
        { maxLength: 3 },
      ),
      retryAfterMs: fc.nat(),
    },
    { requiredKeys: ['type', 'code', 'message'] },
  ),
  fc.constant({ type: 'ping' as const }),
  fc.record({ type: fc.constant('pong' as const), id }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('reconnect' as const), reason: wireCode, retryAfterMs: fc.nat() }),
  fc.record(
    {
      type: fc.constant('signal' as const),
      name: fc.string({ unit: fc.constantFrom(...TOPIC_CHARS), minLength: 1, maxLength: 128 }),
      data: json,
    },
    { requiredKeys: ['type', 'name'] },
  ),
)
