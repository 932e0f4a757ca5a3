export type { MutationState } from './mutation-state'
export type { RealtimeClient, StructuralClient, TopicData } from './realtime-client'
export { provideClient, SLUICE_CLIENT, sluicePlugin, useClient } from './sluice-plugin'
export { type CallArgs, type CallClient, type UseCall, useCall } from './use-call'
export { useConnection } from './use-connection'
export { type EventClient, type TopicEvent, type UseEventOptions, useEvent } from './use-event'
export { type UseHistory, type UseHistoryOptions, useHistory } from './use-history'
export {
  type PresenceClient,
  type PresenceData,
  type PresenceMember,
  type UsePresenceResult,
  usePresence,
} from './use-presence'
export { type PublishClient, type UsePublish, type UsePublishOptions, usePublish } from './use-publish'
export { useRealtime } from './use-realtime'
export { type SignalClient, useSignal } from './use-signal'
