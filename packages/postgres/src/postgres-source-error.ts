/**
 * Why a source called `onError`:
 * - `CONNECTION_FAILED`: connecting, listening or a query failed, or the connection was lost
 *   (Postgres restarted, the backend was terminated, a query outran `queryTimeoutMs`); the
 *   source reconnects after `retryInMs` and reads on from its position, so nothing is lost.
 * - `MAP_FAILED`: `map` threw, or the default mapping found no topic or kind; the row is skipped.
 * - `PUBLISH_REJECTED`: the server refused the event for good (`shouldRetry` said no: a bad
 *   topic name, an invalid event); the row is skipped.
 * - `PUBLISH_FAILED`: the publish failed and will be retried after `retryInMs` (`shouldRetry`
 *   said yes: the engine is unreachable); later rows wait, so order holds.
 * - `GAP_STALLED`: an id is missing and a transaction that may still commit it has been open for
 *   `gapStallMs`; rows after the gap wait for it (reported once per gap).
 * - `NOTIFICATION_INVALID`: (lossy LISTEN mode) a payload `map` could not turn into an event.
 */
export type PostgresSourceErrorCode =
  | 'CONNECTION_FAILED'
  | 'MAP_FAILED'
  | 'PUBLISH_REJECTED'
  | 'PUBLISH_FAILED'
  | 'GAP_STALLED'
  | 'NOTIFICATION_INVALID'

export interface PostgresSourceErrorOptions {
  cause?: unknown
  /** The outbox row the error is about. */
  rowId?: string
  /** The topic the row was headed for, when known. */
  topic?: string
  /** When the source tries again (reconnect or publish retry), in ms. */
  retryInMs?: number
}

/**
 * The one error type of @sluice/postgres, handed to `onError`. The source never throws it at
 * the app: it reports, then reconnects, retries or skips the row as `code` says.
 */
export class PostgresSourceError extends Error {
  override readonly name = 'PostgresSourceError'
  readonly code: PostgresSourceErrorCode
  readonly rowId: string | undefined
  readonly topic: string | undefined
  readonly retryInMs: number | undefined

  constructor(code: PostgresSourceErrorCode, message: string, options: PostgresSourceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.rowId = options.rowId
    this.topic = options.topic
    this.retryInMs = options.retryInMs
  }
}
