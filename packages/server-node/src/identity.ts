import type { IncomingHttpHeaders } from 'node:http'

/** Who a connection (or an HTTP publish) is: returned by `authenticate`. */
export interface Identity {
  /** Stable id of the principal (a JWT's `sub`). Connections of one identity share it. */
  id: string
  /** Claims or any data the app wants in hooks and `authorize`. */
  claims?: Record<string, unknown>
  /** When these credentials stop being valid, ms since the Unix epoch (a JWT's `exp` * 1000). */
  expiresAt?: number
}

/** What `authenticate` sees of a connect request or an auth refresh, on every transport. */
export interface AuthRequest {
  /** The bearer token from `Authorization`, `?token=`, or an `auth` frame; undefined if none. */
  token: string | undefined
  /**
   * The request headers. On a refresh (`refresh: true`) only the ones this function read at
   * connect are kept (all of them if it enumerated them): a connection does not hold on to
   * every header of its upgrade request.
   */
  headers: IncomingHttpHeaders
  /** The request URL with `token` removed. */
  url: URL
  transport: 'ws' | 'sse' | 'http'
  /** True when called for an `auth` frame on an open connection. */
  refresh: boolean
}

/**
 * Resolves a request to an identity, to `null` for an anonymous connection, or throws a
 * ServerError (UNAUTHORIZED, TOKEN_EXPIRED, FORBIDDEN) to reject it.
 */
export type Authenticate = (request: AuthRequest) => Identity | null | Promise<Identity | null>

/** The actions `authorize` is asked about: subscribing (and replaying), publishing from a client, joining presence. */
export type Action = 'subscribe' | 'publish' | 'presence'

/** What `authorize` is told besides who, where and what. */
export interface AuthorizeContext {
  /** The verdict of the token's capabilities or the `rules` (or their defaults), which `authorize` may keep or override. */
  allowed: boolean
}

/**
 * Returns whether `identity` may do `action` on `topic`; its answer replaces the rules' verdict
 * (`context.allowed`), so return `context.allowed && …` to only narrow the rules. Throwing counts
 * as a denial, reported to onError.
 */
export type Authorize = (
  identity: Identity | null,
  topic: string,
  action: Action,
  context: AuthorizeContext,
) => boolean | Promise<boolean>
