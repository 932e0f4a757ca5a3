// What an app using only this package names: the client's error class and its public types.
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
  type TopicEvent,
  type TopicSchema,
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
