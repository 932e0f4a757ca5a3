import type { PresenceMember, SetPresenceFrame } from '@sluice/protocol'
import type { PresenceChange } from '../engine/types'
import { ServerError } from '../server-error'
import { authorizeTopic } from './authorize'
import type { Connection } from './connection'
import type { Hub } from './hub'

/**
 * The setPresence command: a subscribed connection joins (or updates) the topic's presence
 * with a state, or leaves it with `state: null`. Presence lasts until then, the unsubscribe, or
 * the disconnect. Acknowledged with `ack{id}` when the frame had an id.
 */
export async function setPresence(connection: Connection, frame: SetPresenceFrame): Promise<void> {
  const { topic, state } = frame
  if (!connection.subscriptions.has(topic)) {
    throw new ServerError('NOT_FOUND', `subscribe to ${topic} before setting presence on it`, { topic })
  }
  if (state === null) {
    connection.leavePresence(topic)
  } else {
    if (!connection.presenceTopics.has(topic)) {
      await authorizeTopic(connection.runtime, connection.identity, topic, 'presence', connection.id)
      // The subscription may have ended while authorize ran.
      if (!connection.subscriptions.has(topic) || connection.state !== 'open') return
    }
    const member: PresenceMember = {
      connectionId: connection.id,
      identity: connection.identity?.id ?? null,
      state,
    }
    connection.presenceTopics.add(topic)
    await connection.runtime.engine.setPresence(topic, member)
  }
  if (frame.id !== undefined) connection.sendFrame({ type: 'ack', id: frame.id, topic })
}

/** Forwards a presence change from the engine to the topic's presence subscribers. */
export function dispatchPresenceChange(hub: Hub, change: PresenceChange): void {
  hub.dispatchPresence({
    type: 'presence',
    topic: change.topic,
    action: change.action,
    member: change.member,
  })
}
