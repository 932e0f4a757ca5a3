import { createPublicKey, type KeyObject } from 'node:crypto'
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose'
import type { Authenticate, Identity } from '../identity'
import { ServerError } from '../server-error'

/** Options of {@link createJwtAuthenticator}. Set exactly one of `secret`, `publicKey`, `jwksUrl`. */
export interface JwtAuthenticatorOptions {
  /** Shared secret for HMAC tokens (HS256). */
  secret?: string | Uint8Array
  /** PEM-encoded SPKI public key for RS256 (RSA) or ES256 (P-256) tokens. */
  publicKey?: string
  /** URL of a JSON Web Key Set; keys are fetched on first use and cached (refetched for unknown `kid`s). */
  jwksUrl?: string
  /**
   * Accepted `alg` header values. Pinning them is what stops algorithm confusion (an HS256 token
   * signed with a public key as the secret).
   * @default ['HS256'] for `secret`, ['RS256'] or ['ES256'] by key type for `publicKey`, ['RS256', 'ES256'] for `jwksUrl`
   */
  algorithms?: string[]
  /** Required `iss` claim (one of, when an array). */
  issuer?: string | string[]
  /** Required `aud` claim (one of, when an array). */
  audience?: string | string[]
  /**
   * Seconds of clock skew tolerated for `exp` and `nbf`.
   * @default 5
   */
  clockToleranceSec?: number
  /** Maps a verified payload to an identity. @default `{ id: sub, claims: payload, expiresAt: exp * 1000 }` */
  identity?: (payload: JWTPayload) => Identity
  /**
   * When true, a request without a token is anonymous (`null`) instead of rejected (the CLI's
   * `--allow-anonymous`). A token that is present but invalid is always rejected.
   * @default false
   */
  allowAnonymous?: boolean
  /** @deprecated the former name of `allowAnonymous` */
  optional?: boolean
}

type VerificationKey = Uint8Array | KeyObject | JWTVerifyGetKey

/**
 * Builds an `authenticate` function that verifies a JWT (HS256, RS256, ES256 or keys from a JWKS
 * URL) and turns its payload into an {@link Identity}. Rejections are ServerErrors: TOKEN_EXPIRED
 * for an expired token, UNAUTHORIZED with a message safe to send to the client for anything else.
 *
 * @example
 * const sluice = createSluiceServer({
 *   authenticate: createJwtAuthenticator({ secret: process.env.JWT_SECRET, issuer: 'https://auth.example.com' }),
 * })
 */
export function createJwtAuthenticator(options: JwtAuthenticatorOptions): Authenticate {
  const { issuer, audience, clockToleranceSec = 5, identity = defaultIdentity } = options
  const allowAnonymous = options.allowAnonymous ?? options.optional ?? false
  const { key, algorithms } = resolveKey(options)
  const verifyOptions = { algorithms, issuer, audience, clockTolerance: clockToleranceSec }

  return async ({ token }) => {
    if (token === undefined || token === '') {
      if (allowAnonymous) return null
      throw new ServerError('UNAUTHORIZED', 'a token is required')
    }
    let payload: JWTPayload
    try {
      // The overloads of jwtVerify split key kinds apart; the union is sound at runtime.
      payload = (await jwtVerify(token, key as Uint8Array, verifyOptions)).payload
    } catch (error) {
      throw toServerError(error)
    }
    return identity(payload)
  }
}

function defaultIdentity(payload: JWTPayload): Identity {
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw new ServerError('UNAUTHORIZED', 'the token has no subject (sub) claim')
  }
  const result: Identity = { id: payload.sub, claims: payload as Record<string, unknown> }
  if (typeof payload.exp === 'number') result.expiresAt = payload.exp * 1000
  return result
}

function resolveKey(options: JwtAuthenticatorOptions): { key: VerificationKey; algorithms: string[] } {
  const sources = [options.secret, options.publicKey, options.jwksUrl].filter(
    (source) => source !== undefined,
  )
  if (sources.length !== 1) {
    throw new TypeError('createJwtAuthenticator: set exactly one of `secret`, `publicKey` or `jwksUrl`')
  }
  if (options.secret !== undefined) {
    const key = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret
    if (key.byteLength === 0) throw new TypeError('createJwtAuthenticator: `secret` is empty')
    return { key, algorithms: options.algorithms ?? ['HS256'] }
  }
  if (options.publicKey !== undefined) {
    const key = createPublicKey(options.publicKey)
    const byType =
      key.asymmetricKeyType === 'ec' ? 'ES256' : key.asymmetricKeyType === 'rsa' ? 'RS256' : undefined
    if (byType === undefined && options.algorithms === undefined) {
      throw new TypeError(
        `createJwtAuthenticator: cannot infer the algorithm of a ${key.asymmetricKeyType} key; set \`algorithms\``,
      )
    }
    return { key, algorithms: options.algorithms ?? [byType as string] }
  }
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl as string))
  const key: JWTVerifyGetKey = async (header, token) => {
    try {
      return await jwks(header, token)
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
        throw error
      // Refused connections, non-200 answers and invalid JSON all surface here as assorted errors.
      throw new ServerError('UNAUTHORIZED', 'the signing keys could not be loaded', { cause: error })
    }
  }
  return { key, algorithms: options.algorithms ?? ['RS256', 'ES256'] }
}

/** Client-facing messages name what failed, never the key, the token or library internals. */
function toServerError(error: unknown): ServerError {
  if (error instanceof ServerError) return error
  const cause = { cause: error }
  if (error instanceof errors.JWTExpired)
    return new ServerError('TOKEN_EXPIRED', 'the token has expired', cause)
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new ServerError('UNAUTHORIZED', `the token's ${error.claim} claim is not valid`, cause)
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new ServerError('UNAUTHORIZED', "the token's algorithm is not allowed", cause)
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new ServerError('UNAUTHORIZED', "the token's signature does not verify", cause)
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new ServerError('UNAUTHORIZED', 'no signing key matches the token', cause)
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new ServerError('UNAUTHORIZED', 'the token is malformed', cause)
  }
  return new ServerError('UNAUTHORIZED', 'the token is not valid', cause)
}
