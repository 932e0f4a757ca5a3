import {
  type JsonObject,
  type PresenceState,
  presence,
  type SluiceClient,
  type Subscription,
} from '@sluice/client'
import { useDebugValue, useEffect, useMemo, useSyncExternalStore } from 'react'
import type { RealtimeClient } from './realtime-client'
import { useClient } from './sluice-provider'
import { useStore } from './use-store'

/** The presence state a connection announces (a JSON object). */
export type PresenceData = JsonObject

/** One connection present on a topic (the wire's presence member). */
export interface PresenceMember {
  connectionId: string
  /** Who the server authenticated the connection as; null when anonymous. */
  identity: string | null
  /** What the connection announced, if anything. */
  state?: PresenceData
}

/** The part of a client `usePresence` needs. */
export type PresenceClient = RealtimeClient & Pick<SluiceClient, 'setPresence'>

/** What {@link usePresence} returns. */
export interface PresenceResult {
  /** Who is on the topic, in order of arrival (this connection included once it joined). */
  members: readonly PresenceMember[]
  /** This connection's member (by `client.$connection`'s `connectionId`), null until its join is seen. */
  self: PresenceMember | null
}

// Module level: one strategy object, so every usePresence of a topic shares one store.
const membersMerge = presence<PresenceMember>()
const NO_MEMBERS: readonly PresenceMember[] = []

interface PresenceSource {
  subscribe(onChange: () => void): () => void
  getSnapshot(): readonly PresenceMember[]
  /** The state to announce (JSON), or null for none; applied now when subscribed, else on subscribe. */
  announce(json: string | null): void
}

// The subscription and the presence state live together so their order is fixed whatever order
// React runs effects in: join only once subscribed (the client refuses presence on a topic it
// does not subscribe), and leave before unsubscribing (another component may keep the topic).
function createPresenceSource(client: PresenceClient, topic: string): PresenceSource {
  let active: Subscription<PresenceState<PresenceMember>> | null = null
  let wanted: string | null = null
  let announced: string | null = null
  const sync = () => {
    if (active === null || wanted === announced) return
    client.setPresence(topic, wanted === null ? null : (JSON.parse(wanted) as PresenceData))
    announced = wanted
  }
  return {
    subscribe(onChange) {
      const subscription = client.subscribe(topic, { merge: membersMerge, presence: true })
      active = subscription
      const stop = subscription.$state.listen(() => onChange())
      sync()
      onChange()
      return () => {
        stop()
        if (announced !== null) client.setPresence(topic, null)
        announced = null
        active = null
        subscription.unsubscribe()
      }
    },
    getSnapshot: () => (active ? active.$state.get().data.items : NO_MEMBERS),
    announce(json) {
      wanted = json
      sync()
    },
  }
}

/**
 * Who is on `topic`, live, and (with `state`) this connection among them: joins with `state`
 * once subscribed, announces it again when its JSON changes (an inline object is fine), and
 * leaves on unmount or when `state` becomes undefined. Without `state` it only watches.
 *
 * @example
 * const { members } = usePresence(client, 'doc:7', { name: user.name, typing })
 * return <Avatars names={members.map((member) => member.state?.name)} />
 */
export function usePresence(client: PresenceClient, topic: string, state?: PresenceData): PresenceResult
/** The same, with the client of the nearest {@link SluiceProvider}. */
export function usePresence(topic: string, state?: PresenceData): PresenceResult
export function usePresence(
  ...args: [PresenceClient, string, PresenceData?] | [string, PresenceData?]
): PresenceResult {
  const withClient = typeof args[0] !== 'string'
  const fromContext = useClient(!withClient)
  const [client, topic, state] = withClient
    ? (args as [PresenceClient, string, PresenceData?])
    : [fromContext!, args[0] as string, args[1] as PresenceData | undefined]
  const source = useMemo(() => createPresenceSource(client, topic), [client, topic])
  const members = useSyncExternalStore(source.subscribe, source.getSnapshot, () => NO_MEMBERS)
  const stateJson = state === undefined ? null : JSON.stringify(state)
  useEffect(() => source.announce(stateJson), [source, stateJson])
  const { connectionId } = useStore(client.$connection)
  const self =
    connectionId === null ? null : (members.find((member) => member.connectionId === connectionId) ?? null)
  const result = { members, self }
  // React DevTools shows e.g. "3 members, self c1"; formatted only when inspected.
  useDebugValue(result, formatPresence)
  return result
}

const formatPresence = ({ members, self }: PresenceResult): string =>
  `${members.length} members${self ? `, self ${self.connectionId}` : ''}`
