// What an app using only this package names: the client's error class and its public types
// (the client's TopicEvent is not among them: here `TopicEvent` is what useEvent hands over).
export {
  type CallParameters,
  type CallResultOf,
  ClientError,
  type ConnectionState,
  type ConnectionStatus,
  type CrudEvent,
  type CrudState,
  type CrudTopic,
  type CursorEvent,
  type CursorTopic,
  type Json,
  type JsonCompatible,
  type JsonObject,
  type LatestEvent,
  type LatestTopic,
  type MergeStrategy,
  type OptimisticEvent,
  type Position,
  type PresenceState,
  type ProcedureArgs,
  type ProcedureResult,
  type ProcedureSchema,
  type PublishEvent,
  type PublishOptions,
  type PublishResult,
  type SetEvent,
  type SetTopic,
  type SluiceClient,
  type SubscribeOptions,
  type SubscriptionState,
  type SubscriptionStatus,
  type Topic,
  type TopicSchema,
} from '@sluice/client'
export {
  inspectorState,
  inspectorTree,
  type SetupDevtools,
  SLUICE_INSPECTOR_ID,
  SLUICE_TIMELINE_LAYER_ID,
  type SluiceDevtoolsApi,
  setupSluiceDevtools,
} from './devtools'
export type { MutationState } from './mutation-state'
export type { RealtimeClient, StructuralClient, TopicData } from './realtime-client'
export type { RealtimeResult, UseRealtime, UseRealtimeOptions } from './realtime-result'
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
