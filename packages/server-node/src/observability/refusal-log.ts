import { type ErrorFrame, httpStatusFor, type WireErrorCode } from '@sluice/protocol'
import type { HttpRequest } from '../http/http-request'
import type { Logger } from './logger'

/** Where a refused request came in: a WebSocket upgrade, the SSE stream or its command channel, or plain HTTP (publish, status). */
export type RefusalTransport = 'ws' | 'sse' | 'http'

type Level = 'debug' | 'info' | 'warn'

/**
 * Malformed input (a frame, body or parameter that does not decode, or is over a limit). A
 * hostile client makes as many as it likes, so they are logged at debug: at info or warn they
 * would let it fill the logs of a production server.
 */
const PROTOCOL_ERROR_CODES: ReadonlySet<WireErrorCode> = new Set([
  'BAD_REQUEST',
  'UNKNOWN_FRAME',
  'LIMIT_EXCEEDED',
])

/**
 * The level of a refusal: warn when the server could not serve (at its connection limit, its
 * engine out of reach), debug for a protocol error, info for the rest (credentials, origin,
 * version, an unknown stream, shutdown): who was turned away and why, for the operator to read.
 */
export function refusalLevel(code: WireErrorCode): Level {
  if (code === 'OVERLOADED' || code === 'UNAVAILABLE') return 'warn'
  if (PROTOCOL_ERROR_CODES.has(code)) return 'debug'
  return 'info'
}

/**
 * Warn lines are what a full server writes for every client it turns away: under a reconnect
 * storm, thousands a second. One line per code per second is written; the next one says how
 * many were left out meanwhile (`suppressed`).
 */
const WARN_WINDOW_MS = 1_000
const warnWindows = new WeakMap<Logger, Map<WireErrorCode, { until: number; suppressed: number }>>()

/** Whether a warn line for `code` is written now, and how many were left out before it; null to leave this one out. */
function admitWarn(logger: Logger, code: WireErrorCode, now: number): { suppressed: number } | null {
  let windows = warnWindows.get(logger)
  if (windows === undefined) {
    windows = new Map()
    warnWindows.set(logger, windows)
  }
  const window = windows.get(code)
  if (window !== undefined && now < window.until) {
    window.suppressed++
    return null
  }
  const suppressed = window?.suppressed ?? 0
  windows.set(code, { until: now + WARN_WINDOW_MS, suppressed: 0 })
  return { suppressed }
}

/**
 * Logs one refused request (a connect, a command POST, a publish) once, with its code, status,
 * reason, transport, path, remote address and origin. Never a credential: the path is taken
 * without its query (`?token=`), and no header but `Origin` is read. INTERNAL is not logged
 * here: `runtime.report` logged it at error, with its cause, already. Warn lines are limited
 * to one per code per second (see {@link WARN_WINDOW_MS}).
 *
 * @param status the HTTP status sent, when it is not the code's own (a forwarded answer)
 * @example
 * logRefusal(runtime.logger, req, 'sse', { type: 'error', code: 'FORBIDDEN', message: 'this origin is not allowed' })
 */
export function logRefusal(
  logger: Logger,
  req: Pick<HttpRequest, 'method' | 'target' | 'headers' | 'remoteAddress'>,
  transport: RefusalTransport,
  frame: ErrorFrame,
  status: number = httpStatusFor(frame.code),
): void {
  if (frame.code === 'INTERNAL') return
  const level = refusalLevel(frame.code)
  let suppressed = 0
  if (level === 'warn') {
    const admitted = admitWarn(logger, frame.code, Date.now())
    if (admitted === null) return
    suppressed = admitted.suppressed
  }
  const url = req.target
  const query = url.indexOf('?')
  logger[level](
    {
      ...(suppressed > 0 ? { suppressed } : {}),
      code: frame.code,
      status,
      transport,
      method: req.method,
      path: query === -1 ? url : url.slice(0, query),
      remoteAddress: req.remoteAddress,
      origin: req.headers.origin,
    },
    `refused: ${frame.message}`,
  )
}

/**
 * Logs one protocol error of an open connection (a message or frame that does not decode, a
 * binary WebSocket message) once, at debug: a hostile client makes as many as it likes. The
 * client gets the same code and message in its error frame; decode messages describe what was
 * received by type and length past 32 characters, so no credential is echoed.
 */
export function logProtocolError(
  logger: Logger,
  connection: { id: string; transport: 'ws' | 'sse'; remoteAddress: string | undefined },
  frame: ErrorFrame,
): void {
  logger.debug(
    {
      code: frame.code,
      field: frame.field,
      connectionId: connection.id,
      transport: connection.transport,
      remoteAddress: connection.remoteAddress,
    },
    `protocol error: ${frame.message}`,
  )
}
