// The wire types an app meets in client data: event kinds, positions, presence members, resync reasons.
export type {
  EventKind,
  Json,
  JsonCompatible,
  JsonInput,
  Jsonified,
  JsonObject,
  Position,
  PresenceMember,
  ResyncReason,
} from '@sluice/protocol'
export { type BackoffOptions, retryDelay } from './backoff'
export type { CallArgs, CallClient, UntypedProcedureName } from './call-client'
export type { CallOptions } from './calls'
export {
  type ClientOptions,
  createClient,
  type SluiceClient,
  type TopicData,
  type TopicSchema,
} from './client'
export { ClientError, type ClientErrorOptions } from './client-error'
export type { ConnectionHooks } from './connection'
export type { ConnectionState, ConnectionStatus, Transition, TransportKind } from './connection-state'
export { browserEnvironment, type ClientEnvironment } from './environment'
export { initialSubscriptionState } from './initial-subscription-state'
export { type ClientInspector, type InspectorHandle, inspect } from './inspect'
export {
  type CrudEvent,
  type CrudOptions,
  type CrudState,
  type CrudTopic,
  type CursorEvent,
  type CursorOptions,
  type CursorTopic,
  type CustomOptions,
  crud,
  cursor,
  custom,
  type KeyedList,
  type KeyOption,
  type LatestEvent,
  type LatestOptions,
  type LatestTopic,
  latest,
  type PresenceOptions,
  type PresenceState,
  presence,
  type SetEvent,
  type SetTopic,
  set,
} from './merge/index'
export {
  type OptimisticPublishClient,
  type OptimisticPublishOptions,
  optimisticPublish,
  publishId,
} from './optimistic-publish'
export type {
  CallParameters,
  CallResultOf,
  ProcedureArgs,
  ProcedureName,
  ProcedureResult,
  ProcedureSchema,
  ProceduresOf,
} from './procedure-types'
export type { OfflineQueueOptions, PublishEvent, PublishOptions, PublishResult } from './publish'
export type { SignalHandler } from './signals'
export { hydrate } from './store/hydrate'
export { animationFrameScheduler, microtaskScheduler, type SchedulerOption } from './store/scheduler'
export { createSubscriptionStore, type SubscriptionStoreOptions } from './store/subscription-store'
export type {
  MergeStrategy,
  OptimisticEvent,
  Scheduler,
  SubscriptionSink,
  SubscriptionState,
  SubscriptionStatus,
} from './store/types'
export type { HistoryState } from './store-history'
export {
  type SubscriptionActions,
  type SubscriptionResult,
  shouldThrow,
  subscriptionError,
  subscriptionResult,
  type ThrowOnError,
} from './subscription-result'
export type { SubscribeOptions, Subscription } from './subscriptions'
export type { TimerProvider } from './timers'
export { storeKey } from './topic'
export type { SchemaOf, Topic, TopicDataOf, TopicEvent, TopicName } from './topic-schema'
export type { FetchLike } from './transport/sse'
export type { WebSocketConstructor, WebSocketLike } from './transport/websocket'
export { type UntilLiveOptions, untilLive } from './until-live'
