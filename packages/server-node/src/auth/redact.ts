import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'

/** Query parameters that carry credentials (compared case-insensitively). */
const SECRET_PARAMS = new Set(['token', 'access_token', 'api_key', 'key'])
/** Headers that carry credentials (node lower-cases incoming header names). */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'sluice-key'])

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]'

/**
 * Replaces the values of credential query parameters (`token`, `access_token`, `api_key`, `key`)
 * with `[REDACTED]`, leaving the rest of the URL byte for byte as it was, so logs stay readable
 * and never hold a bearer token. Works on absolute and relative URLs.
 *
 * @example
 * redactUrl('/realtime/ws?v=1&token=abc') // '/realtime/ws?v=1&token=[REDACTED]'
 */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?')
  if (queryStart === -1) return url
  const hashStart = url.indexOf('#', queryStart)
  const queryEnd = hashStart === -1 ? url.length : hashStart
  // Edit the raw pairs instead of going through URLSearchParams, which would re-encode the rest.
  const pairs = url.slice(queryStart + 1, queryEnd).split('&')
  let changed = false
  for (let index = 0; index < pairs.length; index++) {
    const pair = pairs[index] as string
    const equals = pair.indexOf('=')
    const rawName = equals === -1 ? pair : pair.slice(0, equals)
    if (equals !== -1 && SECRET_PARAMS.has(decodeName(rawName).toLowerCase())) {
      pairs[index] = `${rawName}=${REDACTED}`
      changed = true
    }
  }
  if (!changed) return url
  return `${url.slice(0, queryStart + 1)}${pairs.join('&')}${url.slice(queryEnd)}`
}

/**
 * Returns a copy of `headers` with `authorization`, `proxy-authorization`, `cookie`,
 * `set-cookie` and `sluice-key` replaced by `[REDACTED]`.
 *
 * @example
 * logger.info({ headers: redactHeaders(req.headers) }, 'rejected')
 */
export function redactHeaders<T extends IncomingHttpHeaders | OutgoingHttpHeaders>(headers: T): T {
  const copy: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(headers)) {
    copy[name] = value !== undefined && SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : value
  }
  return copy as T
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '))
  } catch {
    return raw
  }
}
