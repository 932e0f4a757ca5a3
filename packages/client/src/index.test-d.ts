// Type tests: checked by `pnpm typecheck` (tsc 6 and 7), never run. Every type an app names is
// exported from the package entry.

import { expectTypeOf } from 'vitest'
import type {
  ClientError,
  ConnectionState,
  ConnectionStatus,
  CrudEvent,
  CrudTopic,
  CursorEvent,
  CursorTopic,
  EventKind,
  JsonCompatible,
  Jsonified,
  LatestEvent,
  LatestTopic,
  MergeStrategy,
  Position,
  PresenceMember,
  PresenceState,
  ProcedureArgs,
  ProcedureResult,
  ProcedureSchema,
  PublishEvent,
  ResyncReason,
  SetEvent,
  SetTopic,
  SluiceClient,
  SubscribeOptions,
  SubscriptionState,
  SubscriptionStatus,
  Topic,
  TopicData,
  TopicEvent,
  TopicSchema,
} from './index'

interface Todo {
  id: string
  title: string
}

expectTypeOf<PresenceMember>().toHaveProperty('connectionId').toEqualTypeOf<string>()
expectTypeOf<PresenceState<PresenceMember>['items']>().toEqualTypeOf<readonly PresenceMember[]>()
expectTypeOf<SubscriptionState<Todo[]>['status']>().toEqualTypeOf<SubscriptionStatus>()
expectTypeOf<SubscriptionState<Todo[]>['position']>().toEqualTypeOf<Position | null>()
expectTypeOf<SubscriptionState<Todo[]>['stale']>().toEqualTypeOf<ResyncReason | null>()
expectTypeOf<SubscribeOptions<Todo[]>['merge']>().toEqualTypeOf<MergeStrategy<Todo[]>>()
expectTypeOf<ConnectionState['status']>().toEqualTypeOf<ConnectionStatus>()
expectTypeOf<ClientError['code']>().toBeString()
expectTypeOf<PublishEvent['kind']>().toEqualTypeOf<EventKind>()
expectTypeOf<CrudTopic<Todo>>().toEqualTypeOf<
  Topic<TopicData<{ t: CrudTopic<Todo> }, 't', never>, CrudEvent<Todo>>
>()
expectTypeOf<TopicEvent<{ t: LatestTopic<Todo> }, 't'>>().toEqualTypeOf<LatestEvent<Todo>>()
expectTypeOf<TopicEvent<{ t: SetTopic<Todo> }, 't'>>().toEqualTypeOf<SetEvent<Todo>>()
expectTypeOf<TopicEvent<{ t: CursorTopic<Todo> }, 't'>>().toEqualTypeOf<CursorEvent<Todo>>()
expectTypeOf<JsonCompatible<Todo>>().toEqualTypeOf<{ id: string; title: string }>()
expectTypeOf<Jsonified<{ at: Date }>>().toEqualTypeOf<{ at: string }>()
expectTypeOf<ProcedureArgs<(args: { id: string }) => number>>().toEqualTypeOf<{ id: string }>()
expectTypeOf<ProcedureResult<(args: { id: string }) => Promise<number>>>().toEqualTypeOf<number>()
expectTypeOf<SluiceClient<TopicSchema, ProcedureSchema>>().toEqualTypeOf<SluiceClient>()
