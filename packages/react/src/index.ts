// What an app using only this package names: the client's public types (types only: a value
// re-export would cost bytes in every bundle; `instanceof ClientError` imports it from @sluice/client).
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
  TopicEvent,
  TopicSchema,
} from '@sluice/client'
export type { RealtimeClient, StructuralClient, TopicData } from './realtime-client'
export type { RealtimeResult, UseRealtimeOptions } from './realtime-result'
export { SluiceProvider, type SluiceProviderProps, useClient } from './sluice-provider'
export { SUSPENSE_GRACE_MS } from './suspense-cache'
export { type CallArgs, type CallClient, type UseCallResult, useCall } from './use-call'
export { useConnection } from './use-connection'
export { type RealtimeEvent, type UseEventOptions, useEvent } from './use-event'
export { type UseHistoryResult, useHistory } from './use-history'
export type { MutationState } from './use-mutation'
export {
  type PresenceClient,
  type PresenceData,
  type PresenceMember,
  type PresenceResult,
  usePresence,
} from './use-presence'
export { type PublishClient, type UsePublishOptions, type UsePublishResult, usePublish } from './use-publish'
export { useRealtime } from './use-realtime'
export { type SignalClient, useSignal } from './use-signal'
export { type ReadableStore, useStore } from './use-store'
export { type UseSuspenseRealtimeOptions, useSuspenseRealtime } from './use-suspense-realtime'
