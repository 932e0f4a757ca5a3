export { createJwtAuthenticator, type JwtAuthenticatorOptions } from './auth/jwt'
export { type ConfigSource, defineConfig, type SluiceConfig, type SourceHandle } from './config'
export type {
  CallInvocation,
  Middleware,
  MiddlewareContext,
  PublishInvocation,
} from './core/middleware'
export { createMemoryEngine, type MemoryEngine, type MemoryEngineOptions } from './engine/memory'
export type {
  AppendResult,
  DedupOptions,
  Engine,
  EngineListener,
  EngineStatus,
  EventInput,
  IdentityMessage,
  LogHead,
  LostEvents,
  PresenceChange,
  ReadResult,
  Retention,
  RetentionPolicy,
  SseCommandAnswer,
  SseCommandRequest,
} from './engine/types'
export type { AllowedOrigins } from './http/cors'
export { DEFAULT_HARDEN_OPTIONS, type HardenOptions, hardenHttpServer } from './http/harden'
export type { Action, Authenticate, Authorize, AuthorizeContext, AuthRequest, Identity } from './identity'
export {
  createMemoryRateLimitStore,
  type MemoryRateLimitStore,
  type MemoryRateLimitStoreOptions,
  type RateLimit,
  type RateLimitStore,
  type RateLimitVerdict,
} from './limits/rate-limit-store'
export type { IdentityRateLimits, ProcedureRateLimit } from './limits/rate-limiter'
export {
  type ConnectionInfo,
  defineProcedure,
  defineProcedures,
  type ErrorContext,
  type Procedure,
  type ProcedureContext,
  type ProcedureGuard,
  type SluiceServerOptions,
  type SnapshotData,
  type SnapshotProvider,
  type StandardSchemaV1,
  type ValidatedProcedure,
} from './options'
export type { Access, ClaimValue } from './permissions/access'
export type { Capabilities } from './permissions/capabilities'
export type { ProcedureRule, Rule, TopicAction, TopicRule } from './permissions/rules'
export { createSluiceServer } from './server'
export { ServerError, type ServerErrorOptions } from './server-error'
export type { CloseOptions, PublishInput, PublishOptions, ServerStats, SluiceServer } from './server-types'
export {
  type FromAsyncIterableOptions,
  fromAsyncIterable,
  githubSignature,
  type HmacAlgorithm,
  type HmacSignatureOptions,
  hmacSignature,
  type Poller,
  type PollOptions,
  type PublishTarget,
  poll,
  type SourceEvent,
  type StripeSignatureOptions,
  stripeSignature,
  type WebhookEvent,
  type WebhookHandlerOptions,
  type WebhookRequest,
  type WebhookSecret,
  type WebhookVerifier,
  webhookHandler,
} from './sources/index'
export { type BunServerWebSocket, bunWebSocket } from './transports/ws-bun'
export type {
  DerivedResync,
  DerivedTopic,
  DerivedTopicDefinition,
  DerivedTopicEntry,
} from './work/derived'
export type { EffectDefinition, EffectHandler, EffectOptions } from './work/effects'
export type {
  Schedule,
  ScheduleContext,
  ScheduleDefinition,
  ScheduleOptions,
  ScheduleRun,
  ScheduleStatus,
} from './work/schedules'
export type { SourceState, SourceStatus } from './work/sources'
