import type { IncomingHttpHeaders } from 'node:http'
import {
  decodeSubscriptionsParam,
  PROTOCOL_VERSION,
  ProtocolError,
  type SubscriptionRequest,
  type WireErrorCode,
} from '@sluice/protocol'
import type { Runtime } from '../core/runtime'
import type { Identity } from '../identity'
import { anonymous } from '../options'
import { capabilitiesOf } from '../permissions/capabilities'
import { ServerError } from '../server-error'
import { isOriginAllowed } from './cors'
import { NO_HEADERS, recordHeaderReads } from './header-reads'
import { type HttpRequest, requestUrl } from './http-request'

/** A connect request that passed every check; `release` frees its reserved connection slot. */
export interface Admission {
  identity: Identity | null
  subscriptions: SubscriptionRequest[]
  /** What a token refresh shows `authenticate` again: the headers it read at connect, and the URL. */
  request: { headers: IncomingHttpHeaders; url: URL }
  release: () => void
}

export type AdmissionResult =
  | { ok: true; admission: Admission }
  | { ok: false; error: ServerError | ProtocolError }

/** The bearer token of a request: `Authorization: Bearer …`, else `?token=`. */
export function tokenOf(req: Pick<HttpRequest, 'headers'>, url: URL): string | undefined {
  const header = req.headers.authorization
  if (typeof header === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim())
    if (match) return match[1]
  }
  return url.searchParams.get('token') ?? undefined
}

function fail(code: WireErrorCode, message: string, retryAfterMs?: number): AdmissionResult {
  return {
    ok: false,
    error: new ServerError(code, message, retryAfterMs === undefined ? {} : { retryAfterMs }),
  }
}

/**
 * The checks every realtime connect (WebSocket upgrade, SSE stream) passes before anything is
 * sent, in the order PROTOCOL.md gives: protocol version (400), origin (403), `subscriptions`
 * (400/413), shutdown and capacity (503), then `authenticate` (401/403). They run before the upgrade, so a rejected client
 * gets a plain HTTP status it can read, not a WebSocket that opens and dies.
 * @param url the request URL when the caller parsed it already; its `token` parameter is removed
 */
export async function admit(
  runtime: Runtime,
  req: HttpRequest,
  transport: 'ws' | 'sse',
  url: URL = requestUrl(req),
): Promise<AdmissionResult> {
  const { options } = runtime
  const version = url.searchParams.get('v')
  if (version !== String(PROTOCOL_VERSION)) {
    return fail(
      'PROTOCOL_VERSION',
      version === null
        ? `the v query parameter is required (this server speaks protocol ${PROTOCOL_VERSION})`
        : `protocol version ${JSON.stringify(version)} is not supported (this server speaks ${PROTOCOL_VERSION})`,
    )
  }
  if (!isOriginAllowed(req.headers.origin, options.allowedOrigins)) {
    return fail('FORBIDDEN', 'this origin is not allowed')
  }
  let subscriptions: SubscriptionRequest[] = []
  const param = url.searchParams.get('subscriptions')
  if (param !== null) {
    const decoded = decodeSubscriptionsParam(param, {
      maxSubscriptions: options.limits.maxSubscriptions,
      maxTopicLength: options.limits.maxTopicLength,
    })
    if (!decoded.ok) return { ok: false, error: decoded.error }
    subscriptions = decoded.value
  }
  if (runtime.closing) return fail('SHUTTING_DOWN', 'the server is shutting down', 1000)
  if (!runtime.registry.reserve(options.maxConnections)) {
    return fail('OVERLOADED', 'the server is at its connection limit; try again later', 1000)
  }
  let reserved = true
  const release = () => {
    if (!reserved) return
    reserved = false
    runtime.registry.unreserve()
  }
  try {
    const token = tokenOf(req, url)
    // delete() re-serializes the URL even when there is nothing to delete.
    if (url.searchParams.has('token')) url.searchParams.delete('token')
    // The built-in authenticators read no header: nothing to record, nothing to keep.
    const headers =
      options.authenticate === anonymous
        ? { headers: req.headers, read: () => NO_HEADERS }
        : recordHeaderReads(req.headers)
    const identity = await options.authenticate({
      token,
      headers: headers.headers,
      url,
      transport,
      refresh: false,
    })
    if (identity?.expiresAt !== undefined && identity.expiresAt <= runtime.now()) {
      throw new ServerError('TOKEN_EXPIRED', 'the token has expired')
    }
    // A malformed capabilities claim refuses the connect (UNAUTHORIZED) rather than its first command.
    capabilitiesOf(identity, options.capabilitiesClaim)
    return {
      ok: true,
      admission: { identity, subscriptions, request: { headers: headers.read(), url }, release },
    }
  } catch (error) {
    release()
    if (error instanceof ServerError || error instanceof ProtocolError) return { ok: false, error }
    runtime.report(error, { operation: `connect:${transport}` })
    return fail('INTERNAL', 'internal server error')
  }
}
