import type { Action, Identity } from '../identity'
import { capabilitiesOf } from '../permissions/capabilities'
import type { TopicVerdict } from '../permissions/rules'
import { ServerError } from '../server-error'
import type { Runtime } from './runtime'

const VERBS: Record<Action, string> = {
  subscribe: 'subscribe to',
  publish: 'publish to',
  presence: 'join the presence of',
}

/**
 * The one check of what a connection (or an HTTP publish) may do on a topic, for every
 * transport, the SSE command channel and replay alike. The token's capabilities decide when it
 * carries them, the `rules` otherwise; then the app's `authorize`, when given, has the last
 * word, seeing that verdict. A throw in `authorize` counts as a denial (fail closed) and is
 * reported, so a bug in the app's rules never opens a topic nor kills a connection.
 *
 * @throws ServerError FORBIDDEN naming the action and the topic (and why, when the rules know)
 */
export async function authorizeTopic(
  runtime: Runtime,
  identity: Identity | null,
  topic: string,
  action: Action,
  connectionId?: string,
  verdict: TopicVerdict = decide(runtime, identity, topic, action),
): Promise<void> {
  const { authorize } = runtime.options
  let allowed = verdict.allowed
  if (authorize !== undefined) {
    try {
      allowed = (await authorize(identity, topic, action, { allowed: verdict.allowed })) === true
    } catch (error) {
      runtime.report(error, { operation: `authorize:${action}`, connectionId, identity, topic })
      allowed = false
    }
  }
  if (allowed) return
  const why = authorize === undefined && verdict.reason !== undefined ? `: ${verdict.reason}` : ''
  throw new ServerError('FORBIDDEN', `not allowed to ${VERBS[action]} ${topic}${why}`, { topic })
}

/** Whether {@link authorizeTopic} lets the action through, without throwing. */
export async function isAuthorized(
  runtime: Runtime,
  identity: Identity | null,
  topic: string,
  action: Action,
  connectionId?: string,
): Promise<boolean> {
  try {
    await authorizeTopic(runtime, identity, topic, action, connectionId)
    return true
  } catch (error) {
    if (error instanceof ServerError) return false
    throw error
  }
}

function decide(runtime: Runtime, identity: Identity | null, topic: string, action: Action): TopicVerdict {
  const { rules, capabilitiesClaim } = runtime.options
  if (action === 'presence' && !rules.presenceOn(topic)) {
    return { allowed: false, reason: 'presence is off for this topic' }
  }
  const capabilities = capabilitiesOf(identity, capabilitiesClaim)
  if (capabilities !== null && identity !== null) {
    return capabilities.allows(identity, topic, action)
      ? { allowed: true }
      : { allowed: false, reason: "the token's capabilities do not include it" }
  }
  return rules.topic(identity, topic, action)
}
