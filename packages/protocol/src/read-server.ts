import { isWireErrorCode } from './errors'
import type { ServerFrame } from './frames'
import { isSeq } from './position'

/*
 * A compact reader of server frames for clients, next to the strict decodeServerFrame. It checks
 * the type of every field a client acts on and nothing else: no unknown-field stripping, no
 * patterns, no error messages. A browser bundle pays a few hundred bytes for it instead of the
 * decoder's field-by-field diagnostics, which only a server or a conformance test needs.
 *
 * A spec maps field names (a trailing `?` marks an optional one) to: a check letter, a RegExp
 * the string must match, a nested spec (an object with those fields) or `[spec]` (an array of
 * such objects).
 */
type Spec = { [field: string]: string | RegExp | Spec | [Spec] }

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const CHECKS: Record<string, (value: unknown) => boolean> = {
  /** any string */
  s: (value) => typeof value === 'string',
  /** a string or null */
  u: (value) => value === null || typeof value === 'string',
  /** a non-negative safe integer (seq, limits) */
  i: isSeq,
  /** a finite non-negative number (times, durations) */
  n: (value) => Number.isFinite(value) && (value as number) >= 0,
  b: (value) => typeof value === 'boolean',
  /** a JSON object */
  o: isObject,
  /** a protocol error code a server may send */
  e: isWireErrorCode,
}

const MEMBER: Spec = { connectionId: 's', identity: 'u', 'state?': 'o' }

// `sync` stands for a presence frame with action 'sync': its fields differ from the others'.
const SPECS: Record<string, Spec> = {
  welcome: {
    protocol: 'i',
    connectionId: 's',
    heartbeatMs: 'i',
    limits: { maxFrameBytes: 'i', maxSubscriptions: 'i', maxTopicLength: 'i', maxBatch: 'i' },
    'commandKey?': 's',
    identity: 'u',
    'expiresAt?': 'n',
  },
  subscribed: { 'id?': 's', topic: 's', epoch: 's', seq: 'i', 'snapshot?': 'b' },
  unsubscribed: { 'id?': 's', topic: 's', 'reason?': 'e' },
  event: {
    topic: 's',
    epoch: 's',
    seq: 'i',
    kind: 's',
    'key?': 's',
    'meta?': 'o',
    ts: 'n',
    'publishId?': 's',
  },
  snapshot: { topic: 's', epoch: 's', seq: 'i' },
  resync: { topic: 's', reason: /^(too_old|epoch_changed|ahead)$/, epoch: 's', seq: 'i' },
  sync: { topic: 's', members: [MEMBER] },
  presence: { topic: 's', action: /^(join|update|leave)$/, member: MEMBER },
  ack: {
    id: 's',
    'topic?': 's',
    'epoch?': 's',
    'seq?': 'i',
    'duplicate?': 'b',
    'expiresAt?': 'n',
  },
  result: { id: 's' },
  error: {
    'id?': 's',
    code: 'e',
    'message?': 's',
    'topic?': 's',
    'field?': 's',
    'issues?': [{ message: 's' }],
    'retryAfterMs?': 'n',
  },
  ping: {},
  pong: { 'id?': 's' },
  reconnect: { reason: 'e', retryAfterMs: 'n' },
}

type Rule = (value: unknown) => boolean

// Specs are turned into closures once per frame type, on first use: the per-frame work is then
// one property read and one call per field, no string handling.
function compile(spec: Spec | [Spec]): Rule {
  if (Array.isArray(spec)) {
    const item = compile(spec[0])
    return (value) => Array.isArray(value) && value.every(item)
  }
  const fields = Object.keys(spec).map((name): [string, boolean, Rule] => {
    const rule = spec[name] as Spec[string]
    const optional = name.endsWith('?')
    return [
      optional ? name.slice(0, -1) : name,
      optional,
      typeof rule === 'string'
        ? (CHECKS[rule] as Rule)
        : rule instanceof RegExp
          ? (value) => typeof value === 'string' && rule.test(value)
          : compile(rule),
    ]
  })
  return (value) => {
    if (!isObject(value)) return false
    for (const [field, optional, rule] of fields) {
      const inner = value[field]
      if (inner === undefined ? !optional : !rule(inner)) return false
    }
    return true
  }
}

const compiled: Record<string, Rule> = {}

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
  if (!isObject(value) || typeof value.type !== 'string') return null
  const key = value.type === 'presence' && value.action === 'sync' ? 'sync' : value.type
  if (!Object.hasOwn(SPECS, key)) return null
  compiled[key] ??= compile(SPECS[key] as Spec)
  if (!(compiled[key] as Rule)(value)) return null
  if (key === 'snapshot' && value.data === undefined) return { ...value, data: null } as ServerFrame
  if (key === 'error' && value.message === undefined) return { ...value, message: '' } as ServerFrame
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
