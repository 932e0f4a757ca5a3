import { isWireErrorCode } from './errors'
import type { ServerFrame } from './frames'
import { isSeq } from './position'

/*
 * A compact reader of server frames for clients, next to the strict decodeServerFrame. It checks
 * the type of every field a client acts on and nothing else: no unknown-field stripping, no
 * patterns, no error messages. A browser bundle pays about 1.5 kB (minified) for it instead of the
 * decoder's field-by-field diagnostics, which only a server or a conformance test needs.
 *
 * Each frame type has one rule, built at import from the small combinators below: `object`
 * checks the listed fields (a missing field fails every rule but an `optional` one) and keeps
 * any others; the per-frame work is then one call per field, no string handling.
 */
type Rule = (value: unknown) => boolean

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isString: Rule = (value) => typeof value === 'string'
const isStringOrNull: Rule = (value) => value === null || isString(value)
/** A finite non-negative number: times and durations. Counts and limits use {@link isSeq}. */
const isTime: Rule = (value) => Number.isFinite(value) && (value as number) >= 0
const isBoolean: Rule = (value) => typeof value === 'boolean'

const optional =
  (rule: Rule): Rule =>
  (value) =>
    value === undefined || rule(value)
const oneOf =
  (...values: unknown[]): Rule =>
  (value) =>
    values.includes(value)
const arrayOf =
  (rule: Rule): Rule =>
  (value) =>
    Array.isArray(value) && value.every(rule)
const object = (fields: Record<string, Rule>): Rule => {
  const entries = Object.entries(fields)
  return (value) => isObject(value) && entries.every(([name, rule]) => rule(value[name]))
}

const optionalString = optional(isString)
const POSITION = { topic: isString, epoch: isString, seq: isSeq }
const RESYNC_REASON = oneOf('too_old', 'epoch_changed', 'ahead')
const EVENT = object({
  ...POSITION,
  kind: isString,
  key: optionalString,
  meta: optional(isObject),
  ts: isTime,
  publishId: optionalString,
})
const MEMBER = object({ connectionId: isString, identity: isStringOrNull, state: optional(isObject) })
const SYNC = object({ topic: isString, members: arrayOf(MEMBER) })
const PRESENCE = object({ topic: isString, action: oneOf('join', 'update', 'leave'), member: MEMBER })

const FRAMES = new Map<unknown, Rule>(
  Object.entries({
    welcome: object({
      protocol: isSeq,
      connectionId: isString,
      heartbeatMs: isSeq,
      limits: object({
        maxFrameBytes: isSeq,
        maxSubscriptions: isSeq,
        maxTopicLength: isSeq,
        maxBatch: isSeq,
      }),
      commandKey: optionalString,
      identity: isStringOrNull,
      expiresAt: optional(isTime),
      expiresIn: optional(isTime),
    }),
    subscribed: object({
      id: optionalString,
      ...POSITION,
      resync: optional(RESYNC_REASON),
      snapshot: optional(isBoolean),
      rewind: optional(isSeq),
    }),
    unsubscribed: object({ id: optionalString, topic: isString, reason: optional(isWireErrorCode) }),
    event: EVENT,
    snapshot: object(POSITION),
    resync: object({ ...POSITION, reason: RESYNC_REASON }),
    // A presence frame with action 'sync' lists every member instead of naming one.
    presence: (value) => ((value as { action?: unknown }).action === 'sync' ? SYNC : PRESENCE)(value),
    ack: object({
      id: isString,
      topic: optionalString,
      epoch: optionalString,
      seq: optional(isSeq),
      duplicate: optional(isBoolean),
      expiresAt: optional(isTime),
      expiresIn: optional(isTime),
    }),
    result: object({ id: isString }),
    error: object({
      id: optionalString,
      code: isWireErrorCode,
      message: optionalString,
      topic: optionalString,
      field: optionalString,
      issues: optional(arrayOf(object({ message: isString }))),
      retryAfterMs: optional(isTime),
    }),
    ping: isObject,
    pong: object({ id: optionalString }),
    reconnect: object({ reason: isWireErrorCode, retryAfterMs: isTime }),
    // The name is only looked up among the app's handlers: its pattern does not matter here.
    signal: object({ name: isString }),
    history: object({
      id: isString,
      topic: isString,
      epoch: isString,
      events: arrayOf(EVENT),
      hasMore: isBoolean,
      next: optional(isSeq),
      end: optional(oneOf('log_start', 'too_old', 'epoch_changed', 'ahead')),
    }),
  } satisfies Record<ServerFrame['type'], Rule>),
)

/**
 * Reads one parsed server frame the way a client needs it: every field a client acts on has
 * the type {@link ServerFrame} promises, or the result is null (an unknown frame type, from a
 * newer server, is null too). Unknown fields are kept; `snapshot.data` defaults to null and
 * `error.message` to ''. For strict validation with a reason per field, use
 * {@link decodeServerFrame}.
 *
 * @example
 * const frame = readServerFrame(JSON.parse(text))
 * if (frame?.type === 'event') apply(frame)
 */
export function readServerFrame(value: unknown): ServerFrame | null {
  // A Map, not an object: a `type` of 'toString' or ['ping'] must find nothing.
  if (!isObject(value) || !FRAMES.get(value.type)?.(value)) return null
  if (value.type === 'snapshot' && value.data === undefined) return { ...value, data: null } as ServerFrame
  if (value.type === 'error' && value.message === undefined) return { ...value, message: '' } as ServerFrame
  return value as unknown as ServerFrame
}

/**
 * Reads one text message from a server (a frame, or a batch array of frames) with
 * {@link readServerFrame}. Never throws: a message that is not JSON yields no frames, and an
 * unusable frame is left out alone. `onInvalid` hears about each, e.g. to warn in development.
 *
 * @example
 * for (const frame of readServerMessage(event.data, (bad) => console.warn('dropped', bad))) route(frame)
 */
export function readServerMessage(text: string, onInvalid?: (value: unknown) => void): ServerFrame[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    onInvalid?.(text)
    return []
  }
  const frames: ServerFrame[] = []
  for (const value of Array.isArray(parsed) ? parsed : [parsed]) {
    const frame = readServerFrame(value)
    if (frame) frames.push(frame)
    else onInvalid?.(value)
  }
  return frames
}
