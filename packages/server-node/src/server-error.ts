import {
  closeCodeFor,
  type ErrorCode,
  httpStatusFor,
  type ValidationIssue,
  type WireErrorCode,
} from '@sluice/protocol'

export interface ServerErrorOptions {
  cause?: unknown
  /** For RATE_LIMITED and SHUTTING_DOWN: when the peer may try again. */
  retryAfterMs?: number
  /** For VALIDATION: what the schema rejected. */
  issues?: ValidationIssue[]
  /** The topic the error is about, echoed in the error frame. */
  topic?: string
}

/**
 * The one error type of @sluice/server-node. `code` is a stable protocol code; hooks and
 * procedures may throw it to answer a client with that code and message.
 *
 * @example
 * procedures: {
 *   deleteTodo: async (args, ctx) => {
 *     if (!ctx.identity) throw new ServerError('FORBIDDEN', 'sign in to delete todos')
 *   },
 * }
 */
export class ServerError extends Error {
  override readonly name = 'ServerError'
  readonly code: WireErrorCode
  readonly retryAfterMs: number | undefined
  readonly issues: ValidationIssue[] | undefined
  readonly topic: string | undefined

  constructor(code: WireErrorCode, message: string, options: ServerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.retryAfterMs = options.retryAfterMs
    this.issues = options.issues
    this.topic = options.topic
  }

  /** The HTTP status this error answers with. */
  get status(): number {
    return httpStatusFor(this.code as ErrorCode)
  }

  /** The WebSocket close code when this error ends a connection, or null. */
  get closeCode(): number | null {
    return closeCodeFor(this.code as ErrorCode)
  }
}
