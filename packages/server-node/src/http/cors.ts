import type { IncomingHttpHeaders } from 'node:http'
import type { HttpReply } from './http-request'

/**
 * Which browser origins may connect: a list of origins (`https://app.example.com`, or
 * `https://*.example.com` for any subdomain), `'*'` for any, or a predicate.
 */
export type AllowedOrigins = string[] | '*' | ((origin: string) => boolean)

/** Request headers a browser client sends to Sluice endpoints. */
export const CORS_ALLOW_HEADERS = 'authorization, content-type, last-event-id, sluice-connection, sluice-key'
export const CORS_ALLOW_METHODS = 'GET, POST, OPTIONS'
/** How long a browser may cache a preflight answer, in seconds. */
export const CORS_MAX_AGE_SEC = 600

type OriginMatcher = (origin: string) => boolean
const compiled = new WeakMap<string[], OriginMatcher>()

/**
 * Whether a request with this `Origin` header may be served. A request without one comes from a
 * non-browser client (no ambient cookies to abuse) and is allowed. List entries match on scheme,
 * host and port exactly; `https://*.example.com` matches any subdomain of example.com (not
 * example.com itself) over https on the default port.
 *
 * @example
 * isOriginAllowed('https://a.example.com', ['https://*.example.com']) // true
 * isOriginAllowed('http://a.example.com', ['https://*.example.com']) // false
 */
export function isOriginAllowed(origin: string | undefined, allowed: AllowedOrigins): boolean {
  if (origin === undefined) return true
  if (allowed === '*') return true
  if (typeof allowed === 'function') return allowed(origin)
  let matcher = compiled.get(allowed)
  if (matcher === undefined) {
    matcher = compileOrigins(allowed)
    compiled.set(allowed, matcher)
  }
  return matcher(origin)
}

/**
 * Adds CORS response headers for an allowed origin and answers preflight (`OPTIONS`) requests:
 * 204 for an allowed origin, 403 with a FORBIDDEN error body for another. Returns true when it
 * answered the request, false when the caller should go on handling it. A disallowed origin on a
 * non-preflight request gets no CORS headers here, so the browser withholds a success; the
 * caller refuses it and makes the refusal readable with {@link exposeRefusal}.
 *
 * @param options.connects the endpoint opens a connection (`<base>/sse`): a preflight from a
 *   disallowed origin is answered 204 too. A browser that fails a preflight tells the page only
 *   "Failed to fetch", which a client cannot tell from a network failure and retries forever; let
 *   through, the request itself is refused by the connect checks with a 403 FORBIDDEN the page
 *   can read. Nothing else is let through: every request is checked for its origin on its own.
 * @example
 * if (applyCors(req, res, allowedOrigins)) return
 */
export function applyCors(
  req: { readonly method?: string; readonly headers: IncomingHttpHeaders },
  res: HttpReply,
  allowed: AllowedOrigins,
  options: { connects?: boolean } = {},
): boolean {
  const origin = req.headers.origin
  const preflight = req.method === 'OPTIONS'
  if (origin !== undefined && !isOriginAllowed(origin, allowed)) {
    if (!preflight) return false
    if (options.connects === true) {
      answerPreflight(res, origin)
      return true
    }
    const body = JSON.stringify({ type: 'error', code: 'FORBIDDEN', message: 'this origin is not allowed' })
    res.writeHead(403, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    })
    res.end(body)
    return true
  }
  if (origin !== undefined) exposeTo(res, origin)
  if (!preflight) return false
  answerPreflight(res, origin)
  return true
}

/**
 * Lets the page that sent a refused request read the refusal, whatever its origin: the origin
 * is echoed with credentials allowed. An ErrorFrame tells that origin nothing it did not know
 * (that it is refused, or why its own request failed), and a readable FORBIDDEN is what stops a
 * client from retrying; a success never gets these headers for a disallowed origin
 * ({@link applyCors}). Call it only on an error answer.
 *
 * @example
 * exposeRefusal(req, res)
 * sendHttpError(res, 'FORBIDDEN', 'this origin is not allowed')
 */
export function exposeRefusal(req: { readonly headers: IncomingHttpHeaders }, res: HttpReply): void {
  const origin = req.headers.origin
  if (origin !== undefined) exposeTo(res, origin)
}

/** The CORS headers of a refusal, as raw header lines (a refused WebSocket upgrade has no ServerResponse). */
export function refusalCorsLines(origin: string | undefined): string {
  if (origin === undefined) return ''
  // An Origin is one line of visible ASCII; anything else must not reach a raw response.
  if (!/^[\x21-\x7e]+$/.test(origin)) return ''
  return `Access-Control-Allow-Origin: ${origin}\r\nAccess-Control-Allow-Credentials: true\r\nVary: Origin\r\n`
}

// Echo the origin rather than '*': credentialed requests (cookies, Authorization) forbid '*'.
function exposeTo(res: HttpReply, origin: string): void {
  res.setHeader('access-control-allow-origin', origin)
  res.setHeader('access-control-allow-credentials', 'true')
  appendVary(res, 'Origin')
}

function answerPreflight(res: HttpReply, origin: string | undefined): void {
  if (origin !== undefined) {
    exposeTo(res, origin)
    res.setHeader('access-control-allow-methods', CORS_ALLOW_METHODS)
    res.setHeader('access-control-allow-headers', CORS_ALLOW_HEADERS)
    res.setHeader('access-control-max-age', String(CORS_MAX_AGE_SEC))
  }
  res.setHeader('allow', CORS_ALLOW_METHODS)
  res.writeHead(204)
  res.end()
}

function appendVary(res: HttpReply, name: string): void {
  const current = res.getHeader('vary')
  const list = current === undefined ? '' : Array.isArray(current) ? current.join(', ') : String(current)
  const names = list
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .filter(Boolean)
  if (names.includes('*') || names.includes(name.toLowerCase())) return
  res.setHeader('vary', list === '' ? name : `${list}, ${name}`)
}

function compileOrigins(entries: string[]): OriginMatcher {
  const exact = new Set<string>()
  const wildcards: Array<{ protocol: string; port: string; suffix: string }> = []
  for (const entry of entries) {
    // 'null' is what sandboxed iframes and file:// pages send; it only matches when listed literally.
    if (entry === 'null') {
      exact.add(entry)
      continue
    }
    const wildcard = /^([a-z][a-z0-9+.-]*):\/\/\*\.(.+)$/i.exec(entry)
    if (wildcard) {
      const url = parseOrigin(`${wildcard[1]}://${wildcard[2]}`)
      if (url) wildcards.push({ protocol: url.protocol, port: url.port, suffix: `.${url.hostname}` })
      else warnInvalid(entry)
      continue
    }
    const url = parseOrigin(entry)
    if (url) exact.add(url.origin)
    else warnInvalid(entry)
  }
  return (origin) => {
    if (exact.has(origin)) return true
    const url = parseOrigin(origin)
    if (url === undefined) return false
    if (exact.has(url.origin)) return true
    return wildcards.some(
      (w) =>
        url.protocol === w.protocol &&
        url.port === w.port &&
        url.hostname.endsWith(w.suffix) &&
        url.hostname.length > w.suffix.length,
    )
  }
}

/** Parses an origin; anything with a path, query or credentials is not an origin. */
function parseOrigin(value: string): URL | undefined {
  if (!URL.canParse(value)) return undefined
  const url = new URL(value)
  if (url.origin === 'null' || url.username !== '' || url.password !== '') return undefined
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') return undefined
  return url
}

function warnInvalid(entry: string): void {
  if (process.env.NODE_ENV !== 'production') {
    console.warn(
      `[sluice] allowedOrigins entry ${JSON.stringify(entry)} is not an origin (scheme://host[:port]); it matches nothing`,
    )
  }
}
