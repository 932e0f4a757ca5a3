import type { IncomingMessage } from 'node:http'
import { type DestinationStream, type LevelWithSilent, type Logger as PinoLogger, pino } from 'pino'
import { REDACTED, redactUrl } from '../auth/redact'

/** The part of a pino logger the server uses. Any pino logger (or child) fits. */
export type Logger = Pick<PinoLogger, 'info' | 'warn' | 'error' | 'debug' | 'child'>

/** Log paths whose values are replaced by `[REDACTED]` (pino `redact` syntax). */
const REDACTED_LOG_PATHS = [
  'token',
  '*.token',
  'headers.authorization',
  'headers.cookie',
  'headers["sluice-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["sluice-key"]',
]

/** Pino `redact` option for credential fields. */
export const LOG_REDACT = { paths: REDACTED_LOG_PATHS, censor: REDACTED }

/** Serializers that keep tokens in query strings out of logs. */
export const LOG_SERIALIZERS = {
  url: (url: unknown) => (typeof url === 'string' ? redactUrl(url) : url),
  req: (req: unknown) => {
    if (req === null || typeof req !== 'object' || !('url' in req)) return req
    const { method, url, socket } = req as IncomingMessage
    return {
      method,
      url: typeof url === 'string' ? redactUrl(url) : url,
      remoteAddress: socket?.remoteAddress,
    }
  },
}

/**
 * Resolves the server's `logger` option: `false` gives a silent logger, a pino logger is used
 * through a child that adds the redacting serializers, and `undefined` creates a JSON logger on
 * stdout at `level`, else `SLUICE_LOG_LEVEL`, else `info`, that never prints a token.
 *
 * @param destination where a logger created here writes (tests capture lines with it).
 * @example
 * const logger = createLogger(undefined, 'debug')
 * logger.info({ url: req.url }, 'connect') // token=[REDACTED]
 */
export function createLogger(
  option: PinoLogger | false | undefined,
  level?: LevelWithSilent,
  destination?: DestinationStream,
): PinoLogger {
  if (option === false) return pino({ enabled: false })
  if (option !== undefined) {
    return option.child({}, { serializers: LOG_SERIALIZERS, redact: LOG_REDACT })
  }
  const options = {
    name: 'sluice',
    level: level ?? levelFromEnv(process.env.SLUICE_LOG_LEVEL),
    redact: LOG_REDACT,
    serializers: LOG_SERIALIZERS,
  }
  return destination === undefined ? pino(options) : pino(options, destination)
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

function levelFromEnv(raw: string | undefined): LevelWithSilent {
  if (raw === undefined || raw === '') return 'info'
  // pino's own error ("unknown level verbose") would not say where the value came from.
  if (!LEVELS.includes(raw))
    throw new TypeError(`SLUICE_LOG_LEVEL must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(raw)}`)
  return raw as LevelWithSilent
}
