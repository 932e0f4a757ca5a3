import { decodePublishRequest, ProtocolError } from '@sluice/protocol'
import { authorizeTopic } from '../core/authorize'
import { publishInputOf } from '../core/publish-command'
import type { Runtime } from '../core/runtime'
import type { Identity } from '../identity'
import { ServerError } from '../server-error'
import { safeEqual } from '../transports/sse-commands'
import { tokenOf } from './connect'
import { type HttpReply, type HttpRequest, requestUrl } from './http-request'
import { sendJson, sendRefusal } from './respond'

function mayPublish(identity: Identity, topic: string): boolean {
  const claim = identity.claims?.publish
  return claim === true || (Array.isArray(claim) && claim.includes(topic))
}

/**
 * `POST <basePath>/publish`: publishes one event from a backend. The body is a publish frame
 * without `type` (`{topic, kind, key?, data?, meta?, id?}`, decoded by `decodePublishRequest`).
 * Allowed with a bearer key from `publishKeys`, or with a token whose `publish` claim is true
 * or lists the topic (a user's ordinary token must not double as a backend credential) and,
 * when the app has an `authorize`, that it allows. Answers 200 `{epoch, seq, duplicate}`.
 */
export async function handleHttpPublish(runtime: Runtime, req: HttpRequest, res: HttpReply): Promise<void> {
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
    const text = await req.readBody(runtime.options.limits.maxFrameBytes)
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
    const decoded = decodePublishRequest(body, { maxTopicLength: runtime.options.limits.maxTopicLength })
    if (!decoded.ok) throw decoded.error
    const request = decoded.value
    if (identity) {
      // The token's publish claim is the verdict here, not the rules: those are about clients.
      const claimed = mayPublish(identity, request.topic)
      await authorizeTopic(runtime, identity, request.topic, 'publish', undefined, {
        allowed: claimed,
        reason: "the token's publish claim does not list it",
      })
    }
    const outcome = await runtime.publisher.publish(request.topic, publishInputOf(request), {
      id: request.id,
      scope: byKey ? '\u0000key' : identity?.id,
    })
    sendJson(res, 200, {
      epoch: outcome?.epoch,
      seq: outcome?.seq,
      duplicate: outcome?.duplicate,
    })
  } catch (error) {
    if (!(error instanceof ServerError) && !(error instanceof ProtocolError)) {
      runtime.report(error, { operation: 'http:publish' })
    }
    sendRefusal(res, { logger: runtime.logger, req, transport: 'http' }, error)
  }
}
