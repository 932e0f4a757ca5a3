import {
  compact,
  type DecodeResult,
  decodeFrameWith,
  decodeMessage,
  describe,
  FieldReader,
  fail,
} from './decode-helpers'
import type { ValidationIssue } from './errors'
import type { EventFrame, HistoryEnd, Limits, PresenceMember, ResyncReason, ServerFrame } from './frames'
import { isValidSignalName, MAX_NAME_LENGTH } from './limits'
import { isSeq } from './position'

const RESYNC_REASONS: readonly ResyncReason[] = ['too_old', 'epoch_changed', 'ahead']
const HISTORY_ENDS: readonly HistoryEnd[] = ['log_start', ...RESYNC_REASONS]
// A client trusts no server blindly, but it must accept any topic the server sends it.
const ANY_TOPIC = Number.MAX_SAFE_INTEGER

function limits(r: FieldReader): Limits {
  const value = r.object('limits')
  const fields = ['maxFrameBytes', 'maxSubscriptions', 'maxTopicLength', 'maxBatch'] as const
  if (!value || !fields.every((field) => isSeq(value[field]))) {
    fail(
      'BAD_REQUEST',
      'welcome.limits must hold maxFrameBytes, maxSubscriptions, maxTopicLength, maxBatch',
      {
        field: 'limits',
      },
    )
  }
  const [maxFrameBytes, maxSubscriptions, maxTopicLength, maxBatch] = fields.map(
    (field) => value[field] as number,
  )
  return { maxFrameBytes, maxSubscriptions, maxTopicLength, maxBatch } as Limits
}

function member(value: unknown, field: string): PresenceMember {
  const record = value as Record<string, unknown> | null
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.connectionId !== 'string' ||
    !(record.identity === null || typeof record.identity === 'string') ||
    (record.state !== undefined && (typeof record.state !== 'object' || record.state === null))
  ) {
    fail('BAD_REQUEST', `presence.${field} must be a member {connectionId, identity, state?}`, { field })
  }
  const out: PresenceMember = {
    connectionId: record.connectionId as string,
    identity: record.identity as string | null,
  }
  if (record.state !== undefined) out.state = record.state as PresenceMember['state']
  return out
}

function signalName(r: FieldReader): string {
  const name = r.string('name', MAX_NAME_LENGTH)
  if (!isValidSignalName(name)) {
    fail('BAD_REQUEST', `signal.name must use the characters of a topic name, received ${describe(name)}`, {
      field: 'name',
      expected: 'a name of [A-Za-z0-9._~:@/+=-]',
      received: describe(name),
    })
  }
  return name
}

function identity(r: FieldReader): string | null {
  if (r.frame.identity === null) return null
  return r.string('identity')
}

const serverDecoders: Record<string, (reader: FieldReader) => ServerFrame> = {
  welcome: (r) => ({
    type: 'welcome',
    protocol: r.seq('protocol'),
    connectionId: r.string('connectionId'),
    heartbeatMs: r.seq('heartbeatMs'),
    limits: limits(r),
    commandKey: r.optionalString('commandKey'),
    identity: identity(r),
    expiresAt: r.optionalNumber('expiresAt'),
    expiresIn: r.optionalNumber('expiresIn'),
  }),
  subscribed: (r) => ({
    type: 'subscribed',
    id: r.id_(false),
    topic: r.topic(ANY_TOPIC),
    epoch: r.epoch('epoch'),
    seq: r.seq('seq'),
    resync: r.has('resync') ? r.oneOf('resync', RESYNC_REASONS) : undefined,
    snapshot: r.boolean('snapshot'),
    rewind: r.optionalSeq('rewind'),
  }),
  unsubscribed: (r) => ({
    type: 'unsubscribed',
    id: r.id_(false),
    topic: r.topic(ANY_TOPIC),
    reason: r.optionalErrorCode('reason'),
  }),
  event: (r) => ({
    type: 'event',
    topic: r.topic(ANY_TOPIC),
    epoch: r.epoch('epoch'),
    seq: r.seq('seq'),
    kind: r.string('kind'),
    key: r.optionalString('key'),
    data: r.json('data'),
    meta: r.object('meta'),
    ts: r.number('ts'),
    publishId: r.optionalString('publishId'),
  }),
  snapshot: (r) => ({
    type: 'snapshot',
    topic: r.topic(ANY_TOPIC),
    epoch: r.epoch('epoch'),
    seq: r.seq('seq'),
    data: r.json('data') ?? null,
  }),
  resync: (r) => ({
    type: 'resync',
    topic: r.topic(ANY_TOPIC),
    reason: r.oneOf('reason', RESYNC_REASONS),
    epoch: r.epoch('epoch'),
    seq: r.seq('seq'),
  }),
  presence: (r) => {
    const topic = r.topic(ANY_TOPIC)
    const action = r.oneOf('action', ['sync', 'join', 'update', 'leave'] as const)
    if (action === 'sync') {
      const members = r.frame.members
      if (!Array.isArray(members))
        fail('BAD_REQUEST', 'presence.members must be an array', { field: 'members' })
      return { type: 'presence', topic, action, members: members.map((m, i) => member(m, `members.${i}`)) }
    }
    return { type: 'presence', topic, action, member: member(r.frame.member, 'member') }
  },
  ack: (r) => ({
    type: 'ack',
    id: r.id_(true) as string,
    topic: r.has('topic') ? r.topic(ANY_TOPIC) : undefined,
    epoch: r.has('epoch') ? r.epoch('epoch') : undefined,
    seq: r.optionalSeq('seq'),
    duplicate: r.boolean('duplicate'),
    expiresAt: r.optionalNumber('expiresAt'),
    expiresIn: r.optionalNumber('expiresIn'),
  }),
  result: (r) => ({ type: 'result', id: r.id_(true) as string, result: r.json('result') }),
  error: (r) => {
    const issues = r.frame.issues
    if (
      issues !== undefined &&
      (!Array.isArray(issues) || !issues.every((i) => typeof i?.message === 'string'))
    ) {
      fail('BAD_REQUEST', 'error.issues must be an array of {message, path?}', { field: 'issues' })
    }
    return {
      type: 'error',
      id: r.id_(false),
      code: r.errorCode('code'),
      message: typeof r.frame.message === 'string' ? r.frame.message : '',
      topic: r.has('topic') ? r.topic(ANY_TOPIC) : undefined,
      field: r.optionalString('field'),
      issues: (issues as ValidationIssue[] | undefined)?.map((i) =>
        i.path === undefined ? { message: i.message } : { message: i.message, path: i.path },
      ),
      retryAfterMs: r.optionalNumber('retryAfterMs'),
    }
  },
  ping: () => ({ type: 'ping' }),
  pong: (r) => ({ type: 'pong', id: r.id_(false) }),
  reconnect: (r) => ({
    type: 'reconnect',
    reason: r.errorCode('reason'),
    retryAfterMs: r.number('retryAfterMs'),
  }),
  signal: (r) => ({ type: 'signal', name: signalName(r), data: r.json('data') }),
  history: (r) => {
    const events = r.frame.events
    if (!Array.isArray(events))
      fail('BAD_REQUEST', 'history.events must be an array', { id: r.id, field: 'events' })
    const hasMore = r.boolean('hasMore')
    if (hasMore === undefined)
      fail('BAD_REQUEST', 'history.hasMore must be a boolean', { id: r.id, field: 'hasMore' })
    return {
      type: 'history',
      id: r.id_(true) as string,
      topic: r.topic(ANY_TOPIC),
      epoch: r.epoch('epoch'),
      events: events.map((event, i) => historyEvent(event, `events.${i}`)),
      hasMore,
      next: r.optionalSeq('next'),
      end: r.has('end') ? r.oneOf('end', HISTORY_ENDS) : undefined,
    }
  },
}

// An event inside a history page: the event decoder's rules, with the field named by its index.
function historyEvent(value: unknown, field: string): EventFrame {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    (value as { type?: unknown }).type !== 'event'
  ) {
    fail('BAD_REQUEST', `history.${field} must be an event frame`, { field })
  }
  return compact(
    serverDecoders.event!(
      new FieldReader(value as Record<string, unknown>, `history.${field}`),
    ) as EventFrame,
  )
}

/**
 * Decodes one server frame (already parsed JSON). Clients use it on everything that arrives:
 * a proxy, a bug or an attacker can put anything on the wire.
 */
export function decodeServerFrame(value: unknown): DecodeResult<ServerFrame> {
  return decodeFrameWith(value, serverDecoders, 'server')
}

/**
 * Decodes one text message from a server: a frame, or a batch array of frames.
 *
 * @example
 * const message = decodeServerMessage(wsMessageText)
 * if (message.ok) for (const frame of message.value) if (frame.ok) handle(frame.value)
 */
export function decodeServerMessage(text: string): DecodeResult<DecodeResult<ServerFrame>[]> {
  return decodeMessage(text, decodeServerFrame, {})
}
