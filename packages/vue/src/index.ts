// What an app using only this package names: the client's public types (types only: a value
// re-export would cost bytes in every bundle; `instanceof ClientError` imports it from @sluice/client)
// (the client's TopicEvent is not among them: here `TopicEvent` is what useEvent hands over).
export type {
  CallParameters,
  CallResultOf,
  ClientError,
  ConnectionState,
  ConnectionStatus,
  CrudEvent,
  CrudState,
  CrudTopic,
  CursorEvent,
  CursorTopic,
  Json,
  JsonCompatible,
  JsonObject,
  LatestEvent,
  LatestTopic,
  MergeStrategy,
  OptimisticEvent,
  Position,
  PresenceState,
  ProcedureArgs,
  ProcedureResult,
  ProcedureSchema,
  PublishEvent,
  PublishOptions,
  PublishResult,
  SetEvent,
  SetTopic,
  SluiceClient,
  SubscribeOptions,
  SubscriptionState,
  SubscriptionStatus,
  Topic,
  TopicSchema,
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
