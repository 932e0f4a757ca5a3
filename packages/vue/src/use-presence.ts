import { type JsonObject, presence, type SluiceClient } from '@sluice/client'
import { type MaybeRefOrGetter, type ShallowRef, shallowRef, toValue, watch } from 'vue'
import { onClient } from './on-client'
import { onScopeStop } from './on-scope-stop'

/** The state a connection announces on a topic (`client.setPresence`): a JSON object. */
export type PresenceData = JsonObject

/**
 * A member of a topic's presence, as the wire's `PresenceMember` (which `@sluice/client` does
 * not re-export, and this package does not depend on `@sluice/protocol`).
 */
export interface PresenceMember {
  /** The connection, as the server named it in its welcome. */
  connectionId: string
  /** The authenticated principal, or null when anonymous. */
  identity: string | null
  /** What it announced with `setPresence`; absent before it did. */
  state?: PresenceData
}

/** The part of a client `usePresence` needs. */
export type PresenceClient = Pick<SluiceClient, 'subscribe' | 'setPresence' | '$connection'>

/** What {@link usePresence} returns. */
export interface UsePresenceResult {
  /** Who is on the topic, this connection included once its join is seen, in order of arrival. */
  members: Readonly<ShallowRef<readonly PresenceMember[]>>
  /** This connection's member (by `client.$connection`'s `connectionId`), null until its join is seen. */
  self: Readonly<ShallowRef<PresenceMember | null>>
}

/**
 * Who is on `topic`, from mount (at once outside a component) until the effect scope stops.
 * With `state` it also joins: it calls `client.setPresence(topic, state)`, again whenever the
 * JSON of `state` (a ref or getter) changes, leaves when it becomes null or undefined, and
 * leaves when the scope stops. The topic may be a ref or getter too: it leaves the old one and
 * joins the new one.
 *
 * @example
 * const cursor = ref({ x: 0, y: 0 })
 * const { members } = usePresence(client, 'doc:7', () => ({ name: user.name, cursor: cursor.value }))
 * // <li v-for="member in members" :key="member.connectionId">{{ member.state?.name }}</li>
 */
export function usePresence(
  client: PresenceClient,
  topic: MaybeRefOrGetter<string>,
  state?: MaybeRefOrGetter<PresenceData | null | undefined>,
): UsePresenceResult {
  const members = shallowRef<readonly PresenceMember[]>([])
  const self = shallowRef<PresenceMember | null>(null)
  let joined: { topic: string; json: string } | null = null
  let current: { topic: string; stop: () => void } | null = null

  // Sends the state when it differs (by JSON) from what this topic last got; null leaves.
  const announce = () => {
    if (!current) return
    const value = toValue(state) ?? null
    const json = value === null ? null : JSON.stringify(value)
    if (joined?.topic === current.topic && joined.json === json) return
    if (value === null) {
      if (joined) client.setPresence(joined.topic, null)
      joined = null
      return
    }
    // A plain copy: the client keeps what it is given to state it again after a reconnect, and
    // a reactive object mutated later would be stated as it is then, not as it was announced.
    client.setPresence(current.topic, JSON.parse(json as string) as PresenceData)
    joined = { topic: current.topic, json: json as string }
  }

  const start = () => {
    current?.stop()
    const name = toValue(topic)
    const subscription = client.subscribe(name, { merge: presence<PresenceMember>(), presence: true })
    const sync = () => {
      members.value = subscription.$state.get().data.items
      const { connectionId } = client.$connection.get()
      self.value =
        connectionId === null
          ? null
          : (members.value.find((member) => member.connectionId === connectionId) ?? null)
    }
    sync()
    const unlisten = subscription.$state.listen(sync)
    // A reconnect gives this tab a new connection id: its member is found again by the new one.
    const unlistenConnection = client.$connection.listen(sync)
    current = {
      topic: name,
      stop: () => {
        current = null
        unlisten()
        unlistenConnection()
        // Leave before the subscription goes: presence is stated on a subscribed topic.
        if (joined) client.setPresence(joined.topic, null)
        joined = null
        subscription.unsubscribe()
      },
    }
    announce()
  }

  // Not immediate: the first start is onClient's, and a non-immediate watcher is a no-op
  // during server rendering. JSON.stringify reads the whole state, so nested changes count.
  watch(
    () => toValue(topic),
    () => {
      if (current) start()
    },
  )
  watch(() => JSON.stringify(toValue(state) ?? null), announce)
  onClient(start)
  onScopeStop('usePresence', () => current?.stop())
  return { members, self }
}
