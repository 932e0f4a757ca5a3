import type { ErrorCode, ValidationIssue } from '@sluice/protocol'

export interface ClientErrorOptions {
  /** VALIDATION: what the procedure's schema rejected. */
  issues?: ValidationIssue[]
  /** RATE_LIMITED / UNAVAILABLE / OVERLOADED / SHUTTING_DOWN: when the server asked to be retried. */
  retryAfterMs?: number
  /** The WebSocket close code that ended the connection, when one did. */
  closeCode?: number
  /** The topic an error frame named (subscribe and publish errors). */
  topic?: string
  cause?: unknown
}

/**
 * The one error class of `@sluice/client`. Match on `code` (a protocol error code, or one of
 * the local codes TIMEOUT, QUEUE_FULL, STALE, CLOSED, NETWORK), never on `message`.
 *
 * @example
 * try {
 *   await client.call('rename', { id: 't1', title: '' })
 * } catch (error) {
 *   if (error instanceof ClientError && error.code === 'VALIDATION') showIssues(error.issues)
 * }
 */
export class ClientError extends Error {
  override readonly name = 'ClientError'
  declare readonly code: ErrorCode
  declare readonly issues: ValidationIssue[] | undefined
  declare readonly retryAfterMs: number | undefined
  declare readonly closeCode: number | undefined
  declare readonly topic: string | undefined

  constructor(code: ErrorCode, message: string, options: ClientErrorOptions = {}) {
    // Error takes `cause` from the options when they have one. They may be an error frame.
    super(message, options)
    this.code = code
    this.issues = options.issues
    this.retryAfterMs = options.retryAfterMs
    this.closeCode = options.closeCode
    this.topic = options.topic
  }
}

/**
 * The same error with the command it failed named first (`call rename: …`, `publish p1 to
 * todos: …`), for an error shared by every command it ends, such as the close of the client.
 */
export const naming = (subject: string, error: ClientError): ClientError =>
  new ClientError(error.code, `${subject}: ${error.message}`, { ...error, cause: error.cause })

/**
 * Whether a command's error answer means "not applied, send it again after `retryAfterMs`":
 * a rate limit, or a server that cannot reach its engine. Subscribes, presence, unsubscribes
 * and publishes (same id, so applied once) are sent again; calls are not.
 */
export function isRetryLater(code: string): boolean {
  return code === 'RATE_LIMITED' || code === 'UNAVAILABLE'
}
