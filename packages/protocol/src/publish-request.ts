import type { ClientDecodeOptions } from './decode-client'
import { publishFields } from './decode-client'
import { type DecodeResult, decodeFrameWith } from './decode-helpers'
import type { PublishFrame } from './frames'
import { DEFAULT_LIMITS } from './limits'

/**
 * The JSON body of `POST <base>/publish`: a publish frame without `type`, whose `id` is
 * optional (without one the publish is not idempotent).
 */
export type PublishRequest = Omit<PublishFrame, 'type' | 'id'> & { id?: string }

/**
 * Decodes the untrusted body of an HTTP publish with the same rules as a `publish` frame.
 * A `type` key in the body is ignored.
 *
 * @example
 * const r = decodePublishRequest(JSON.parse(body))
 * if (!r.ok) respond(httpStatusFor(r.error.code), { type: 'error', code: r.error.code, message: r.error.message })
 */
export function decodePublishRequest(
  value: unknown,
  options: ClientDecodeOptions = {},
): DecodeResult<PublishRequest> {
  const maxTopicLength = options.maxTopicLength ?? DEFAULT_LIMITS.maxTopicLength
  const body =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? { ...value, type: 'publish' }
      : value
  return decodeFrameWith<PublishRequest>(
    body,
    { publish: (reader) => publishFields(reader, maxTopicLength, false) },
    'publish',
  )
}
