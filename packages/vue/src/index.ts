export type { RealtimeClient, StructuralClient, TopicData } from './realtime-client'
export { provideClient, SLUICE_CLIENT, sluicePlugin, useClient } from './sluice-plugin'
export { useConnection } from './use-connection'
export {
  type PresenceClient,
  type PresenceData,
  type PresenceMember,
  type UsePresenceResult,
  usePresence,
} from './use-presence'
export { useRealtime } from './use-realtime'
export { type SignalClient, useSignal } from './use-signal'
