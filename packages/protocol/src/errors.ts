/**
 * The error codes a server may send: in an `error` frame, a close reason or an HTTP body.
 * Kept apart from {@link ERROR_CODES} so that a client, which only asks whether a string is a
 * code, does not bundle the status table.
 */
const WIRE_CODES = [
  'BAD_REQUEST',
  'UNKNOWN_FRAME',
  'PROTOCOL_VERSION',
  'UNAUTHORIZED',
  'TOKEN_EXPIRED',
  'FORBIDDEN',
  'NOT_FOUND',
  'IDLE_TIMEOUT',
  'LIMIT_EXCEEDED',
  'VALIDATION',
  'RATE_LIMITED',
  'SLOW_CONSUMER',
  'INTERNAL',
  'OVERLOADED',
  'SHUTTING_DOWN',
  'UNAVAILABLE',
] as const

/** The codes a client raises locally and a server never sends. */
const LOCAL_CODES = ['TIMEOUT', 'QUEUE_FULL', 'STALE', 'CLOSED', 'NETWORK'] as const

/** Error codes a server may put in an `error` frame, a close reason or an HTTP body. */
export type WireErrorCode = (typeof WIRE_CODES)[number]

/** A stable error code. Match on it, never on a message. */
export type ErrorCode = WireErrorCode | (typeof LOCAL_CODES)[number]

/**
 * Every error code Sluice uses, on the wire and locally, with the HTTP status and the
 * WebSocket close code it maps to. docs/PROTOCOL.md § Errors is the normative copy of
 * this table; `docs-sync.test.ts` keeps the two in sync.
 */
export const ERROR_CODES = {
  /** A frame, query parameter or body that cannot be decoded or fails validation. */
  BAD_REQUEST: { http: 400, close: 4400, wire: true },
  /** A frame whose `type` this server does not know (a newer client, or garbage). */
  UNKNOWN_FRAME: { http: 400, close: null, wire: true },
  /** The `v` parameter asks for a protocol version this server does not speak. */
  PROTOCOL_VERSION: { http: 400, close: 4400, wire: true },
  /** No credentials, or credentials that do not verify. */
  UNAUTHORIZED: { http: 401, close: 4401, wire: true },
  /** The connection's token expired and no fresh one was handed over in time. */
  TOKEN_EXPIRED: { http: 401, close: 4401, wire: true },
  /** Authenticated, but not allowed: subscribe, publish, call or origin. */
  FORBIDDEN: { http: 403, close: 4403, wire: true },
  /** Unknown procedure, unknown SSE connection, or presence on a topic the connection is not subscribed to. */
  NOT_FOUND: { http: 404, close: null, wire: true },
  /** The connection sent nothing (not even a pong) for longer than the idle timeout. */
  IDLE_TIMEOUT: { http: 408, close: 4408, wire: true },
  /** A frame, body, batch, subscription count or topic name over the server's limits. */
  LIMIT_EXCEEDED: { http: 413, close: 1009, wire: true },
  /** Procedure arguments rejected by the procedure's schema; `issues` lists why. */
  VALIDATION: { http: 422, close: null, wire: true },
  /** Too many commands; `retryAfterMs` says when to try again. */
  RATE_LIMITED: { http: 429, close: null, wire: true },
  /** The connection's outbound buffer went over the server's limit; resume on reconnect. */
  SLOW_CONSUMER: { http: 503, close: 4507, wire: true },
  /** An unexpected server failure. Never carries a stack trace. */
  INTERNAL: { http: 500, close: 1011, wire: true },
  /** The server is at maxConnections; retry later. */
  OVERLOADED: { http: 503, close: 1013, wire: true },
  /** The server is shutting down or restarting; reconnect after `retryAfterMs`. */
  SHUTTING_DOWN: { http: 503, close: 1012, wire: true },
  /**
   * The server cannot reach its engine (the shared store of a multi-node deployment): the
   * command was not applied; retry after `retryAfterMs`.
   */
  UNAVAILABLE: { http: 503, close: null, wire: true },
  /** Local: a call, publish or subscribe got no answer in time. */
  TIMEOUT: { http: null, close: null, wire: false },
  /** Local: the offline publish queue is full. */
  QUEUE_FULL: { http: null, close: null, wire: false },
  /** Local: a queued publish grew older than the queue's max age before it could be sent. */
  STALE: { http: null, close: null, wire: false },
  /** Local: the client was closed while the operation was pending. */
  CLOSED: { http: null, close: null, wire: false },
  /** Local: the transport failed (network error, refused, dropped). */
  NETWORK: { http: null, close: null, wire: false },
} as const satisfies {
  // Every code exactly once, and `wire` agreeing with WIRE_CODES.
  [K in ErrorCode]: {
    http: number | null
    close: number | null
    wire: K extends WireErrorCode ? true : false
  }
}

/** WebSocket close codes used by the protocol (see docs/PROTOCOL.md § Close codes). */
export const CloseCode = {
  /** Normal closure, by either side. */
  Normal: 1000,
  /** The server shut down (a `reconnect` frame came first). */
  GoingAway: 1001,
  /** Bytes that are not a valid WebSocket frame (RFC 6455 § 5.2): sent by the WebSocket layer. */
  InvalidFrame: 1002,
  /** A text message that is not UTF-8 (RFC 6455 § 8.1): sent by the WebSocket layer. */
  InvalidPayload: 1007,
  /** A frame larger than `limits.maxFrameBytes`. */
  MessageTooBig: 1009,
  /** Unexpected server failure. */
  InternalError: 1011,
  /** The server restarts; reconnect after the `reconnect` frame's `retryAfterMs`. */
  ServiceRestart: 1012,
  /** The server is overloaded; try again later. */
  TryAgainLater: 1013,
  BadRequest: 4400,
  Unauthorized: 4401,
  Forbidden: 4403,
  IdleTimeout: 4408,
  SlowConsumer: 4507,
} as const

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

const wireCodes = new Set<unknown>(WIRE_CODES)
const allCodes = new Set<unknown>([...WIRE_CODES, ...LOCAL_CODES])

/** True for a string that is one of the protocol's error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return allCodes.has(value)
}

/** True for an error code a server may send: in an `error` frame, a close reason or an HTTP body. */
export function isWireErrorCode(value: unknown): value is WireErrorCode {
  return wireCodes.has(value)
}

/** The HTTP status for a code, or 500 for a local-only code that reached HTTP by mistake. */
export function httpStatusFor(code: ErrorCode): number {
  return ERROR_CODES[code].http ?? 500
}

/** The WebSocket close code for a connection-fatal error, or null when the code never closes. */
export function closeCodeFor(code: ErrorCode): number | null {
  return ERROR_CODES[code].close
}

/** Close codes after which a client must not reconnect without new credentials or a fix. */
export function isTerminalCloseCode(code: number): boolean {
  return code === CloseCode.BadRequest || code === CloseCode.Forbidden
}

/**
 * Close codes that refuse the message that caused them (1007 not UTF-8, 1009 over
 * `maxFrameBytes`): a client reconnects but must not send that message again, or it would be
 * refused the same way on every connection.
 */
export function isRefusedMessageCloseCode(code: number): boolean {
  return code === CloseCode.InvalidPayload || code === CloseCode.MessageTooBig
}

/** One issue of a VALIDATION error, as Standard Schema reports it. */
export interface ValidationIssue {
  message: string
  path?: Array<string | number>
}

export interface ProtocolErrorOptions {
  /** The command id the error answers, when the offending frame had a readable one. */
  id?: string
  /** The field that failed, as a dotted path (`filter.and.0.gt`). */
  field?: string
  /** What the field should have been. */
  expected?: string
  /** A short description of what was received (type or truncated value, never a secret). */
  received?: string
  cause?: unknown
}

/**
 * The error @sluice/protocol returns (never throws) for untrusted input that does not decode.
 *
 * @example
 * const result = decodeClientMessage(text)
 * if (!result.ok) console.log(result.error.code, result.error.field) // 'BAD_REQUEST', 'topic'
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError'
  readonly code: WireErrorCode
  readonly id: string | undefined
  readonly field: string | undefined
  readonly expected: string | undefined
  readonly received: string | undefined

  constructor(code: WireErrorCode, message: string, options: ProtocolErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.id = options.id
    this.field = options.field
    this.expected = options.expected
    this.received = options.received
  }
}
