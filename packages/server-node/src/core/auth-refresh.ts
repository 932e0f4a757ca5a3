import type { AuthFrame } from '@sluice/protocol'
import { capabilitiesOf } from '../permissions/capabilities'
import { ServerError } from '../server-error'
import { isAuthorized } from './authorize'
import type { Connection } from './connection'
import { endSubscription } from './subscribe'

/**
 * The auth command: a fresh token for an open connection. It must name the same identity (a
 * connection never changes who it is); then the expiry moves, every subscription is
 * authorized again (the ones now denied end with `unsubscribed{reason:'FORBIDDEN'}`), and the
 * client gets `ack{id, expiresAt}`. A rejected token leaves the connection as it was.
 */
export async function refreshAuth(connection: Connection, frame: AuthFrame): Promise<void> {
  const { runtime } = connection
  const identity = await runtime.options.authenticate({
    token: frame.token,
    headers: connection.request.headers,
    url: connection.request.url,
    transport: connection.transport,
    refresh: true,
  })
  if ((identity?.id ?? null) !== (connection.identity?.id ?? null)) {
    throw new ServerError('FORBIDDEN', 'the token is for another identity; reconnect to switch identities')
  }
  if (identity?.expiresAt !== undefined && identity.expiresAt <= runtime.now()) {
    throw new ServerError('TOKEN_EXPIRED', 'the token has expired')
  }
  capabilitiesOf(identity, runtime.options.capabilitiesClaim)
  if (connection.state !== 'open') return
  connection.setIdentity(identity)
  for (const topic of [...connection.subscriptions.keys()]) {
    if (await isAuthorized(runtime, identity, topic, 'subscribe', connection.id)) continue
    if (!connection.subscriptions.has(topic)) continue
    endSubscription(connection, topic, 'FORBIDDEN')
    connection.sendFrame({ type: 'unsubscribed', topic, reason: 'FORBIDDEN' })
  }
  // New capabilities may no longer include presence where the connection has joined it.
  for (const topic of [...connection.presenceTopics]) {
    if (await isAuthorized(runtime, identity, topic, 'presence', connection.id)) continue
    connection.leavePresence(topic)
  }
  connection.sendFrame(
    identity?.expiresAt === undefined
      ? { type: 'ack', id: frame.id }
      : {
          type: 'ack',
          id: frame.id,
          expiresAt: identity.expiresAt,
          expiresIn: Math.max(0, identity.expiresAt - runtime.now()),
        },
  )
}
