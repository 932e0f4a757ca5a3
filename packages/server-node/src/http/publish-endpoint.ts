import type { IncomingMessage, ServerResponse } from 'node:http'
import { decodeClientFrame, type PublishFrame } from '@sluice/protocol'
import { isAuthorized } from '../core/authorize'
import { publishInputOf } from '../core/publish-command'
import type { Runtime } from '../core/runtime'
import type { Identity } from '../identity'
import { ServerError } from '../server-error'
import { safeEqual } from '../transports/sse-commands'
import { requestUrl, tokenOf } from './connect'
import { readBody, sendJson, sendThrown } from './respond'

// Stands in for a missing id while decoding: an HTTP publish without id is simply not idempotent.
const NO_ID = '-'

function mayPublish(identity: Identity, topic: string): boolean {
  const claim = identity.claims?.publish
  return claim === true || (Array.isArray(claim) && claim.includes(topic))
}

/**
 * `POST <basePath>/publish`: publishes one event from a backend. The body is a publish frame
 * without `type` (`{topic, kind, key?, data?, meta?, id?}`). Allowed with a bearer key from
 * `publishKeys`, or with a token whose identity has a `publish` claim that is true or lists the
 * topic (and that `authorize` allows). Answers 200 `{topic, epoch, seq, duplicate}`.
 */
export async function handleHttpPublish(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    const url = requestUrl(req)
    const token = tokenOf(req, url)
    const byKey = token !== undefined && runtime.options.publishKeys.some((key) => safeEqual(key, token))
    let identity: Identity | null = null
    if (!byKey) {
      url.searchParams.delete('token')
      identity = await runtime.options.authenticate({
        token,
        headers: req.headers,
        url,
        transport: 'http',
        refresh: false,
      })
      if (!identity)
        throw new ServerError('UNAUTHORIZED', 'a publish key or a token with a publish claim is required')
    }
    const text = await readBody(req, runtime.options.limits.maxFrameBytes)
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new ServerError('BAD_REQUEST', 'the body is not valid JSON')
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ServerError(
        'BAD_REQUEST',
        'the body must be an object {topic, kind, key?, data?, meta?, id?}',
      )
    }
    const fields = body as Record<string, unknown>
    const hasId = fields.id !== undefined
    const decoded = decodeClientFrame(
      { ...fields, type: 'publish', id: hasId ? fields.id : NO_ID },
      { maxTopicLength: runtime.options.limits.maxTopicLength },
    )
    if (!decoded.ok) throw decoded.error
    const frame = decoded.value as PublishFrame
    if (identity) {
      const allowed =
        mayPublish(identity, frame.topic) && (await isAuthorized(runtime, identity, frame.topic, 'publish'))
      if (!allowed)
        throw new ServerError('FORBIDDEN', `not allowed to publish to ${frame.topic}`, { topic: frame.topic })
    }
    const outcome = await runtime.publisher.publish(frame.topic, publishInputOf(frame), {
      id: hasId ? frame.id : undefined,
      scope: byKey ? '\u0000key' : identity?.id,
    })
    sendJson(res, 200, {
      topic: frame.topic,
      epoch: outcome?.epoch,
      seq: outcome?.seq,
      duplicate: outcome?.duplicate,
    })
  } catch (error) {
    if (!(error instanceof ServerError) && !(error instanceof Error && error.name === 'ProtocolError')) {
      runtime.report(error, { operation: 'http:publish' })
    }
    sendThrown(res, error)
  }
}
