import { isWireErrorCode, ProtocolError, type WireErrorCode } from './errors'
import { type Filter, validateFilter } from './filter'
import type { Json, JsonObject } from './frames'
import { isValidTopic, MAX_ID_LENGTH, utf8Length } from './limits'
import { EPOCH_PATTERN, isSeq, type Position } from './position'

/** The outcome of decoding untrusted input: never an exception. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: ProtocolError }

// Thrown inside a decoder and caught at its boundary, so field checks read top to bottom.
class Invalid {
  constructor(readonly error: ProtocolError) {}
}

export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'string') return value.length > 32 ? `string(${value.length})` : JSON.stringify(value)
  return typeof value
}

export function fail(
  code: WireErrorCode,
  message: string,
  extra: ConstructorParameters<typeof ProtocolError>[2],
): never {
  throw new Invalid(new ProtocolError(code, message, extra))
}

/** Reads and checks the fields of one frame object; every failure names the field. */
export class FieldReader {
  readonly id: string | undefined
  constructor(
    readonly frame: Record<string, unknown>,
    readonly type: string,
  ) {
    const id = frame.id
    this.id = typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH ? id : undefined
  }

  private bad(field: string, expected: string): never {
    const received = this.frame[field]
    return fail('BAD_REQUEST', `${this.type}.${field} must be ${expected}, received ${describe(received)}`, {
      id: this.id,
      field,
      expected,
      received: describe(received),
    })
  }

  has(field: string): boolean {
    return this.frame[field] !== undefined
  }

  string(field: string, max = Number.MAX_SAFE_INTEGER): string {
    const value = this.frame[field]
    if (typeof value !== 'string' || value.length === 0) this.bad(field, 'a non-empty string')
    if (value.length > max) {
      fail('LIMIT_EXCEEDED', `${this.type}.${field} is longer than ${max} characters`, { id: this.id, field })
    }
    return value
  }

  optionalString(field: string, max?: number): string | undefined {
    return this.has(field) ? this.string(field, max) : undefined
  }

  id_(required: boolean): string | undefined {
    if (!this.has('id')) return required ? this.bad('id', 'a non-empty string') : undefined
    return this.string('id', MAX_ID_LENGTH)
  }

  topic(maxTopicLength: number): string {
    const value = this.frame.topic
    if (typeof value === 'string' && value.length > maxTopicLength) {
      fail('LIMIT_EXCEEDED', `${this.type}.topic is longer than ${maxTopicLength} characters`, {
        id: this.id,
        field: 'topic',
      })
    }
    if (!isValidTopic(value, maxTopicLength)) this.bad('topic', 'a topic name of [A-Za-z0-9._~:@/+=-]')
    return value
  }

  boolean(field: string): boolean | undefined {
    const value = this.frame[field]
    if (value === undefined) return undefined
    if (typeof value !== 'boolean') this.bad(field, 'a boolean')
    return value
  }

  seq(field: string): number {
    const value = this.frame[field]
    if (!isSeq(value)) this.bad(field, 'a non-negative safe integer')
    return value
  }

  optionalSeq(field: string): number | undefined {
    return this.has(field) ? this.seq(field) : undefined
  }

  epoch(field: string): string {
    const value = this.frame[field]
    if (typeof value !== 'string' || !EPOCH_PATTERN.test(value))
      this.bad(field, 'an epoch of [A-Za-z0-9_-]{1,64}')
    return value
  }

  oneOf<T extends string>(field: string, allowed: readonly T[]): T {
    const value = this.frame[field]
    if (typeof value !== 'string' || !allowed.includes(value as T))
      this.bad(field, `one of ${allowed.join(', ')}`)
    return value as T
  }

  json(field: string): Json | undefined {
    return this.frame[field] as Json | undefined
  }

  object(field: string): JsonObject | undefined {
    const value = this.frame[field]
    if (value === undefined) return undefined
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.bad(field, 'an object')
    return value as JsonObject
  }

  position(field: string): Position | undefined {
    const value = this.frame[field]
    if (value === undefined) return undefined
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.bad(field, 'a position {epoch, seq}')
    }
    const { epoch, seq } = value as Record<string, unknown>
    if (typeof epoch !== 'string' || !EPOCH_PATTERN.test(epoch) || !isSeq(seq)) {
      this.bad(field, 'a position {epoch, seq}')
    }
    return { epoch, seq }
  }

  filter(field: string): Filter | undefined {
    const value = this.frame[field]
    if (value === undefined) return undefined
    const problem = validateFilter(value, field)
    if (problem) {
      fail(problem.code, problem.message, {
        id: this.id,
        field: problem.field,
        expected: problem.expected,
        received: problem.received,
      })
    }
    return value as Filter
  }

  errorCode(field: string): WireErrorCode {
    const value = this.frame[field]
    // Client-local codes (TIMEOUT, CLOSED...) on the wire mean a broken or hostile server.
    if (!isWireErrorCode(value)) this.bad(field, 'an error code sent on the wire')
    return value
  }

  optionalErrorCode(field: string): WireErrorCode | undefined {
    return this.has(field) ? this.errorCode(field) : undefined
  }

  number(field: string): number {
    const value = this.frame[field]
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      this.bad(field, 'a non-negative number')
    return value
  }

  optionalNumber(field: string): number | undefined {
    return this.has(field) ? this.number(field) : undefined
  }
}

/** Drops keys whose value is undefined so decoded frames compare and print cleanly. */
export function compact<T extends object>(frame: T): T {
  for (const key of Object.keys(frame) as Array<keyof T>) {
    if (frame[key] === undefined) delete frame[key]
  }
  return frame
}

export interface MessageOptions {
  /** Largest message in UTF-8 bytes. */
  maxFrameBytes?: number
  /** Most frames in one batch. */
  maxBatch?: number
}

/**
 * Parses one message (a frame object or a batch array) and decodes each frame with `decodeFrame`.
 * A bad frame inside a batch fails alone; the message fails as a whole only when it is not JSON,
 * not a frame or batch, or over a limit.
 */
export function decodeMessage<T>(
  text: string,
  decodeFrame: (value: unknown) => DecodeResult<T>,
  options: MessageOptions,
): DecodeResult<DecodeResult<T>[]> {
  const { maxFrameBytes, maxBatch } = options
  if (typeof text !== 'string') {
    return { ok: false, error: new ProtocolError('BAD_REQUEST', 'a message must be a text frame') }
  }
  if (maxFrameBytes !== undefined && text.length > maxFrameBytes / 3 && utf8Length(text) > maxFrameBytes) {
    return {
      ok: false,
      error: new ProtocolError('LIMIT_EXCEEDED', `message is larger than ${maxFrameBytes} bytes`),
    }
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { ok: false, error: new ProtocolError('BAD_REQUEST', 'message is not valid JSON') }
  }
  if (Array.isArray(parsed)) {
    if (parsed.length === 0) {
      return { ok: false, error: new ProtocolError('BAD_REQUEST', 'a batch must hold at least one frame') }
    }
    if (maxBatch !== undefined && parsed.length > maxBatch) {
      return {
        ok: false,
        error: new ProtocolError(
          'LIMIT_EXCEEDED',
          `a batch holds at most ${maxBatch} frames, received ${parsed.length}`,
        ),
      }
    }
    return { ok: true, value: parsed.map((item) => decodeFrame(item)) }
  }
  if (typeof parsed !== 'object' || parsed === null) {
    return {
      ok: false,
      error: new ProtocolError(
        'BAD_REQUEST',
        `a message must be a frame object or a batch array, received ${describe(parsed)}`,
      ),
    }
  }
  return { ok: true, value: [decodeFrame(parsed)] }
}

/**
 * Runs a frame decoder over one untrusted value: checks it is an object with a string
 * `type`, dispatches to the decoder for that type, and turns any failure into a result.
 */
export function decodeFrameWith<T>(
  value: unknown,
  decoders: Record<string, (reader: FieldReader) => T>,
  side: string,
): DecodeResult<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      ok: false,
      error: new ProtocolError('BAD_REQUEST', `a frame must be an object, received ${describe(value)}`, {
        expected: 'object',
        received: describe(value),
      }),
    }
  }
  const frame = value as Record<string, unknown>
  const type = frame.type
  const reader = new FieldReader(frame, typeof type === 'string' ? type : 'frame')
  if (typeof type !== 'string') {
    return {
      ok: false,
      error: new ProtocolError('BAD_REQUEST', `frame.type must be a string, received ${describe(type)}`, {
        id: reader.id,
        field: 'type',
        expected: 'string',
        received: describe(type),
      }),
    }
  }
  const decoder = Object.hasOwn(decoders, type) ? decoders[type] : undefined
  if (!decoder) {
    return {
      ok: false,
      error: new ProtocolError('UNKNOWN_FRAME', `unknown ${side} frame type ${describe(type)}`, {
        id: reader.id,
        field: 'type',
        received: describe(type),
      }),
    }
  }
  try {
    return { ok: true, value: compact(decoder(reader) as object) as T }
  } catch (thrown) {
    if (thrown instanceof Invalid) return { ok: false, error: thrown.error }
    return {
      ok: false,
      error: new ProtocolError('BAD_REQUEST', `${type} frame could not be decoded`, {
        id: reader.id,
        cause: thrown,
      }),
    }
  }
}
