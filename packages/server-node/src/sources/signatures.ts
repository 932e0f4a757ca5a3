import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { ServerError } from '../server-error'

/** A webhook request as a verifier sees it. */
export interface WebhookRequest {
  /** The raw body, byte for byte as received: senders sign these bytes, not a parsed value. */
  body: Buffer
  headers: IncomingHttpHeaders
  method: string
  url: string
}

/**
 * Decides whether a webhook request comes from its sender. Return (or resolve) normally when it
 * does. To refuse, throw a {@link ServerError} `UNAUTHORIZED` whose message says what failed
 * (never the secret), or return `false`. Any other throw answers 500 and goes to `onError`.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a verifier that accepts by returning nothing is typed void, not undefined
export type WebhookVerifier = (request: WebhookRequest) => boolean | void | Promise<boolean | void>

/** A signing secret, or several while one is being rotated (any of them verifies). */
export type WebhookSecret = string | Uint8Array | ReadonlyArray<string | Uint8Array>

export type HmacAlgorithm = 'sha256' | 'sha512' | 'sha1'

const DIGEST_BYTES: Record<HmacAlgorithm, number> = { sha1: 20, sha256: 32, sha512: 64 }

const refuse = (message: string) => new ServerError('UNAUTHORIZED', message)

function secretsOf(secret: WebhookSecret, who: string): Array<string | Uint8Array> {
  const list = typeof secret === 'string' || secret instanceof Uint8Array ? [secret] : [...secret]
  const empty = (one: string | Uint8Array) => (typeof one === 'string' ? one === '' : one.byteLength === 0)
  if (list.length === 0 || list.some(empty)) throw new TypeError(`${who}: \`secret\` is empty`)
  return list
}

/** The request header's single value, or undefined when absent or empty. */
function headerOf(request: WebhookRequest, name: string): string | undefined {
  const value = request.headers[name]
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * Whether `given` equals the HMAC of `payload` under one of the secrets. Every secret is
 * compared, each with timingSafeEqual over equal lengths (a digest's length is public), so the
 * time taken says nothing about how much of a signature was right or which secret matched.
 */
function matchesAny(
  given: Buffer,
  secrets: Array<string | Uint8Array>,
  algorithm: HmacAlgorithm,
  payload: Buffer,
) {
  let matched = false
  for (const secret of secrets) {
    const expected = createHmac(algorithm, secret).update(payload).digest()
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true
  }
  return matched
}

/** Decodes a hex digest of exactly `bytes` bytes, or undefined. */
function hexDigest(text: string, bytes: number): Buffer | undefined {
  return text.length === bytes * 2 && /^[0-9a-f]+$/i.test(text) ? Buffer.from(text, 'hex') : undefined
}

/** Decodes a base64 (or base64url) digest of exactly `bytes` bytes, or undefined. */
function base64Digest(text: string, bytes: number): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined
  const decoded = Buffer.from(text, 'base64')
  return decoded.length === bytes ? decoded : undefined
}

/** Options of {@link hmacSignature}. */
export interface HmacSignatureOptions {
  secret: WebhookSecret
  /** The request header holding the signature. @default 'x-signature' */
  header?: string
  /** @default 'sha256' */
  algorithm?: HmacAlgorithm
  /** How the digest is written. @default 'hex' */
  encoding?: 'hex' | 'base64'
}

/**
 * Plain HMAC over the raw body, as most senders sign (Shopify: base64 in `x-shopify-hmac-sha256`;
 * many others hex). The header holds the digest, bare or after `<algorithm>=`.
 *
 * @example
 * webhookHandler({ verify: hmacSignature({ secret, header: 'x-shopify-hmac-sha256', encoding: 'base64' }), … })
 */
export function hmacSignature(options: HmacSignatureOptions): WebhookVerifier {
  const { algorithm = 'sha256', encoding = 'hex' } = options
  const secrets = secretsOf(options.secret, 'hmacSignature')
  const header = (options.header ?? 'x-signature').toLowerCase()
  const bytes = DIGEST_BYTES[algorithm]
  if (bytes === undefined)
    throw new TypeError(`hmacSignature: algorithm must be sha256, sha512 or sha1, not ${algorithm}`)
  const prefix = `${algorithm}=`
  const expected = encoding === 'hex' ? `${bytes * 2} hex digits` : `the base64 of ${bytes} bytes`
  return (request) => {
    const given = headerOf(request, header)
    if (given === undefined) throw refuse(`the ${header} header is missing`)
    const text = given.startsWith(prefix) ? given.slice(prefix.length) : given
    const digest = encoding === 'hex' ? hexDigest(text, bytes) : base64Digest(text, bytes)
    if (digest === undefined) {
      throw refuse(
        `${header} must be ${expected} (HMAC-${algorithm.toUpperCase()}), optionally after ${prefix}`,
      )
    }
    if (!matchesAny(digest, secrets, algorithm, request.body)) {
      throw refuse(`${header}: the signature does not match the body`)
    }
  }
}

/**
 * GitHub's signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` with the
 * webhook's secret (docs.github.com, "Validating webhook deliveries").
 *
 * @example
 * webhookHandler({ verify: githubSignature({ secret: process.env.GITHUB_WEBHOOK_SECRET }), … })
 */
export function githubSignature(options: { secret: WebhookSecret }): WebhookVerifier {
  const secrets = secretsOf(options.secret, 'githubSignature')
  const header = 'x-hub-signature-256'
  return (request) => {
    const given = headerOf(request, header)
    if (given === undefined) throw refuse(`the ${header} header is missing`)
    const digest = given.startsWith('sha256=') ? hexDigest(given.slice(7), 32) : undefined
    if (digest === undefined) throw refuse(`${header} must be sha256= and 64 hex digits`)
    if (!matchesAny(digest, secrets, 'sha256', request.body)) {
      throw refuse(`${header}: the signature does not match the body`)
    }
  }
}

/** Options of {@link stripeSignature}. */
export interface StripeSignatureOptions {
  /** The endpoint's signing secret (`whsec_…`), used as is. */
  secret: WebhookSecret
  /**
   * How far the signed timestamp may be from now, either way, in seconds: an older delivery is
   * refused as a possible replay. @default 300 (Stripe's own libraries' default)
   */
  toleranceSec?: number
  /** Clock, ms since the Unix epoch. @default Date.now */
  now?: () => number
}

/**
 * Stripe's signature: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, each `v1` an
 * HMAC-SHA256 of `<t>.<raw body>` under the endpoint secret (one per secret while Stripe rolls
 * it). Accepted when `t` is within `toleranceSec` of now and one `v1` matches; other schemes
 * (`v0`) are ignored, as Stripe asks.
 *
 * @example
 * webhookHandler({ verify: stripeSignature({ secret: process.env.STRIPE_WEBHOOK_SECRET }), … })
 */
export function stripeSignature(options: StripeSignatureOptions): WebhookVerifier {
  const { toleranceSec = 300, now = () => Date.now() } = options
  const secrets = secretsOf(options.secret, 'stripeSignature')
  if (!(toleranceSec > 0))
    throw new RangeError(`stripeSignature: toleranceSec must be positive, received ${toleranceSec}`)
  const header = 'stripe-signature'
  return (request) => {
    const given = headerOf(request, header)
    if (given === undefined) throw refuse(`the ${header} header is missing`)
    let timestamp: string | undefined
    const signatures: Buffer[] = []
    for (const item of given.split(',')) {
      const at = item.indexOf('=')
      if (at < 0) continue
      const key = item.slice(0, at).trim()
      const value = item.slice(at + 1).trim()
      if (key === 't') timestamp = value
      else if (key === 'v1') {
        // A v1 that is not a digest cannot match; keeping it out keeps the comparison constant-length.
        const digest = hexDigest(value, 32)
        if (digest !== undefined) signatures.push(digest)
      }
    }
    if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
      throw refuse(`${header} has no timestamp t=<unix seconds>`)
    }
    if (signatures.length === 0) throw refuse(`${header} has no v1 signature of 64 hex digits`)
    const skewSec = Math.abs(Math.floor(now() / 1000) - Number(timestamp))
    if (skewSec > toleranceSec) {
      throw refuse(
        `${header}: the timestamp is ${skewSec} s from now, more than the tolerance of ${toleranceSec} s`,
      )
    }
    const payload = Buffer.concat([Buffer.from(`${timestamp}.`), request.body])
    let matched = false
    for (const signature of signatures) {
      if (matchesAny(signature, secrets, 'sha256', payload)) matched = true
    }
    if (!matched) throw refuse(`${header}: no v1 signature matches the body`)
  }
}
