import {
  CloseCode,
  decodeServerFrame,
  type ErrorFrame,
  httpStatusFor,
  isWireErrorCode,
  type ServerFrame,
} from '@sluice/protocol'

/**
 * What "a documented answer" means, checked against @sluice/protocol (the code of the wire
 * spec's tables, kept equal to docs/PROTOCOL.md by the protocol's docs-sync test): error codes
 * from WIRE_CODES with the HTTP status httpStatusFor gives them, close codes from CloseCode,
 * frames that the strict server-frame decoder accepts.
 */

/** The close codes docs/PROTOCOL.md § Close codes lists. */
export const DOCUMENTED_CLOSE_CODES: readonly number[] = Object.values(CloseCode)

/** Why `body` is not an error frame answering with `status`, or null when it is one. */
export function undocumentedHttpError(status: number, body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return `status ${status} with a body that is not an error frame: ${JSON.stringify(body)}`
  }
  const frame = body as Partial<ErrorFrame>
  if (frame.type !== 'error') {
    return `status ${status} with a body that is not an error frame: ${JSON.stringify(body)}`
  }
  const invalid = invalidServerFrame(body)
  if (invalid !== null) return `status ${status}: ${invalid}`
  if (!isWireErrorCode(frame.code))
    return `status ${status} with undocumented code ${JSON.stringify(frame.code)}`
  if (httpStatusFor(frame.code) !== status) {
    return `code ${frame.code} answered with status ${status}, documented as ${httpStatusFor(frame.code)}`
  }
  return null
}

/** Why `value` (one parsed frame) is not a valid server frame with a documented code, or null. */
export function invalidServerFrame(value: unknown): string | null {
  const decoded = decodeServerFrame(value)
  if (!decoded.ok) return `${decoded.error.message}: ${JSON.stringify(value)}`
  const frame: ServerFrame = decoded.value
  if (frame.type === 'error' && !isWireErrorCode(frame.code)) {
    return `error frame with undocumented code: ${JSON.stringify(value)}`
  }
  return null
}
