import { decodeBase64Url, encodeBase64Url } from './base64url'
import { decodeClientFrame } from './decode-client'
import type { DecodeResult } from './decode-helpers'
import { ProtocolError } from './errors'
import type { SubscribeFrame } from './frames'
import { DEFAULT_LIMITS } from './limits'

/** One entry of the `subscriptions` URL parameter: a subscribe frame without `type` and `id`. */
export type SubscriptionRequest = Omit<SubscribeFrame, 'type' | 'id'>

export interface SubscriptionsParamOptions {
  maxSubscriptions?: number
  maxTopicLength?: number
}

/**
 * Encodes subscriptions for `?subscriptions=`: base64url of a JSON array, so a plain
 * `new EventSource(url)` can subscribe without an SDK.
 *
 * @example
 * const url = `/realtime/sse?subscriptions=${encodeSubscriptionsParam([{ topic: 'todos' }])}`
 */
export function encodeSubscriptionsParam(subscriptions: readonly SubscriptionRequest[]): string {
  return encodeBase64Url(JSON.stringify(subscriptions))
}

/**
 * Decodes and validates `?subscriptions=` from an untrusted URL. Each entry is checked like a
 * subscribe frame; a topic may appear once.
 */
export function decodeSubscriptionsParam(
  param: string,
  options: SubscriptionsParamOptions = {},
): DecodeResult<SubscriptionRequest[]> {
  const maxSubscriptions = options.maxSubscriptions ?? DEFAULT_LIMITS.maxSubscriptions
  const bad = (
    message: string,
    code: 'BAD_REQUEST' | 'LIMIT_EXCEEDED' = 'BAD_REQUEST',
    field = 'subscriptions',
  ) => ({
    ok: false as const,
    error: new ProtocolError(code, message, { field }),
  })
  const json = decodeBase64Url(param)
  if (json === null) return bad('subscriptions must be base64url-encoded JSON')
  let list: unknown
  try {
    list = JSON.parse(json)
  } catch {
    return bad('subscriptions must be base64url-encoded JSON')
  }
  if (!Array.isArray(list))
    return bad('subscriptions must be a JSON array of {topic, filter?, from?, snapshot?}')
  if (list.length > maxSubscriptions) {
    return bad(`subscriptions holds more than ${maxSubscriptions} topics`, 'LIMIT_EXCEEDED')
  }
  const seen = new Set<string>()
  const out: SubscriptionRequest[] = []
  for (let i = 0; i < list.length; i++) {
    const entry = list[i]
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      return bad(`subscriptions.${i} must be an object`, 'BAD_REQUEST', `subscriptions.${i}`)
    }
    const { type: _type, id: _id, ...rest } = entry as Record<string, unknown>
    const decoded = decodeClientFrame({ ...rest, type: 'subscribe' }, options)
    if (!decoded.ok) {
      const error = decoded.error
      return {
        ok: false,
        error: new ProtocolError(error.code, `subscriptions.${i}: ${error.message}`, {
          field: `subscriptions.${i}${error.field ? `.${error.field}` : ''}`,
          expected: error.expected,
          received: error.received,
        }),
      }
    }
    const { type: _t, id: _i, ...request } = decoded.value as SubscribeFrame
    if (seen.has(request.topic)) {
      return bad(
        `subscriptions.${i}: topic ${request.topic} appears twice`,
        'BAD_REQUEST',
        `subscriptions.${i}.topic`,
      )
    }
    seen.add(request.topic)
    out.push(request)
  }
  return { ok: true, value: out }
}
