import { type DecodeResult, decodeFrameWith, decodeMessage, type FieldReader, fail } from './decode-helpers'
import type { ClientFrame, JsonObject, PublishFrame, SnapshotMode } from './frames'
import { DEFAULT_LIMITS, MAX_HISTORY_PAGE, MAX_NAME_LENGTH, MAX_REWIND } from './limits'

/** Limits a server applies while decoding client input. Missing ones take {@link DEFAULT_LIMITS}. */
export interface ClientDecodeOptions {
  maxFrameBytes?: number
  maxBatch?: number
  maxTopicLength?: number
}

/** Longest event key. */
export const MAX_KEY_LENGTH = 256
/** Longest token an `auth` frame may carry. */
export const MAX_TOKEN_LENGTH = 8192
/** The form of an event kind: a short lowercase word. */
export const KIND_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/

const SNAPSHOT_MODES: readonly SnapshotMode[] = ['never', 'always', 'resync']

function kind(reader: FieldReader): string {
  const value = reader.frame.kind
  if (typeof value !== 'string' || !KIND_PATTERN.test(value)) {
    fail('BAD_REQUEST', `${reader.type}.kind must be a lowercase word such as "created"`, {
      id: reader.id,
      field: 'kind',
      expected: 'lowercase word',
    })
  }
  return value
}

function presenceState(reader: FieldReader): JsonObject | null {
  if (reader.frame.state === null) return null
  const state = reader.object('state')
  if (state === undefined) {
    fail('BAD_REQUEST', 'setPresence.state must be an object or null', { id: reader.id, field: 'state' })
  }
  return state
}

/**
 * `rewind` of a subscribe: a count up to {@link MAX_REWIND}, only on a fresh subscribe without a
 * snapshot — a resume already replays from its position, and a snapshot already holds the past.
 */
function rewind(reader: FieldReader): number | undefined {
  const value = reader.optionalSeq('rewind')
  if (value === undefined) return undefined
  if (value > MAX_REWIND) {
    fail('LIMIT_EXCEEDED', `subscribe.rewind may ask for at most ${MAX_REWIND} events, got ${value}`, {
      id: reader.id,
      field: 'rewind',
    })
  }
  if (reader.has('from') || reader.frame.snapshot === 'always') {
    fail('BAD_REQUEST', "subscribe.rewind cannot be combined with from or snapshot: 'always'", {
      id: reader.id,
      field: 'rewind',
    })
  }
  return value
}

/** `limit` of a history command: 1 to {@link MAX_HISTORY_PAGE} log positions. */
function historyLimit(reader: FieldReader): number | undefined {
  const value = reader.optionalSeq('limit')
  if (value === 0) {
    fail('BAD_REQUEST', 'history.limit must be at least 1', { id: reader.id, field: 'limit' })
  }
  if (value !== undefined && value > MAX_HISTORY_PAGE) {
    fail('LIMIT_EXCEEDED', `history.limit may be at most ${MAX_HISTORY_PAGE}, got ${value}`, {
      id: reader.id,
      field: 'limit',
    })
  }
  return value
}

/** The fields a publish carries, shared by the `publish` frame and the HTTP publish body. */
export function publishFields(reader: FieldReader, maxTopicLength: number, idRequired: boolean) {
  return {
    id: reader.id_(idRequired),
    topic: reader.topic(maxTopicLength),
    kind: kind(reader),
    key: reader.optionalString('key', MAX_KEY_LENGTH),
    data: reader.json('data'),
    meta: reader.object('meta'),
  }
}

function clientDecoders(maxTopicLength: number): Record<string, (reader: FieldReader) => ClientFrame> {
  return {
    subscribe: (r) => ({
      type: 'subscribe',
      id: r.id_(false),
      topic: r.topic(maxTopicLength),
      filter: r.filter('filter'),
      from: r.position('from'),
      snapshot: r.has('snapshot') ? r.oneOf('snapshot', SNAPSHOT_MODES) : undefined,
      presence: r.boolean('presence'),
      rewind: rewind(r),
    }),
    unsubscribe: (r) => ({ type: 'unsubscribe', id: r.id_(false), topic: r.topic(maxTopicLength) }),
    // `echo` is read here and not in publishFields: an HTTP publish has no connection to exclude.
    publish: (r) =>
      ({
        type: 'publish',
        ...publishFields(r, maxTopicLength, true),
        echo: r.boolean('echo'),
      }) as PublishFrame,
    call: (r) => ({
      type: 'call',
      id: r.id_(true) as string,
      name: r.string('name', MAX_NAME_LENGTH),
      args: r.json('args'),
    }),
    auth: (r) => ({ type: 'auth', id: r.id_(true) as string, token: r.string('token', MAX_TOKEN_LENGTH) }),
    setPresence: (r) => ({
      type: 'setPresence',
      id: r.id_(false),
      topic: r.topic(maxTopicLength),
      state: presenceState(r),
    }),
    history: (r) => ({
      type: 'history',
      id: r.id_(true) as string,
      topic: r.topic(maxTopicLength),
      before:
        r.position('before') ??
        fail('BAD_REQUEST', 'history.before is required', { id: r.id, field: 'before' }),
      limit: historyLimit(r),
    }),
    ping: (r) => ({ type: 'ping', id: r.id_(false) }),
  }
}

// A server decodes every frame with the same limit: build its decoder table once, not per frame.
// Filled on first use, not at import: a call at module level would keep this whole decoder in
// every app bundled from the built package, the client's included, whether it decodes or not.
const decodersByTopicLength = new Map<number, Record<string, (reader: FieldReader) => ClientFrame>>()

function decodersFor(options: ClientDecodeOptions): Record<string, (reader: FieldReader) => ClientFrame> {
  const max = options.maxTopicLength ?? DEFAULT_LIMITS.maxTopicLength
  let decoders = decodersByTopicLength.get(max)
  if (!decoders) {
    decoders = clientDecoders(max)
    // Bounded: a process configures one or two limits; never let odd inputs grow the cache.
    if (decodersByTopicLength.size < 8) decodersByTopicLength.set(max, decoders)
  }
  return decoders
}

/**
 * Decodes one client frame (already parsed JSON) from an untrusted peer. Unknown fields are
 * dropped; a frame of unknown type yields UNKNOWN_FRAME; a bad field yields BAD_REQUEST
 * (or LIMIT_EXCEEDED) naming the field.
 *
 * @example
 * const r = decodeClientFrame({ type: 'unsubscribe', topic: 'todos' })
 * if (r.ok) r.value.topic // 'todos'
 */
export function decodeClientFrame(
  value: unknown,
  options: ClientDecodeOptions = {},
): DecodeResult<ClientFrame> {
  return decodeFrameWith(value, decodersFor(options), 'client')
}

/**
 * Decodes one text message from a client: a single frame or a batch array of frames.
 *
 * @returns `ok: false` when the whole message is unusable (not JSON, over a limit), else one
 *   result per frame so a bad frame in a batch does not sink the others.
 * @example
 * const message = decodeClientMessage('[{"type":"ping"},{"type":"nope"}]')
 * // { ok: true, value: [{ ok: true, ... }, { ok: false, error: { code: 'UNKNOWN_FRAME' } }] }
 */
export function decodeClientMessage(
  text: string,
  options: ClientDecodeOptions = {},
): DecodeResult<DecodeResult<ClientFrame>[]> {
  const decoders = decodersFor(options)
  return decodeMessage(text, (value) => decodeFrameWith(value, decoders, 'client'), {
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_LIMITS.maxFrameBytes,
    maxBatch: options.maxBatch ?? DEFAULT_LIMITS.maxBatch,
  })
}
