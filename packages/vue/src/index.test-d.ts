// Type tests, checked by `tsc` 6 and 7 (pnpm typecheck): an app using only @sluice/vue finds
// every type it names here, the client's included.
import { expectTypeOf } from 'vitest'
import type {
  ClientError,
  ConnectionState,
  CrudEvent,
  CrudState,
  CrudTopic,
  CursorTopic,
  JsonCompatible,
  LatestTopic,
  MergeStrategy,
  PresenceMember,
  ProcedureArgs,
  ProcedureResult,
  ProcedureSchema,
  PublishEvent,
  PublishResult,
  SetTopic,
  SluiceClient,
  SubscribeOptions,
  SubscriptionState,
  SubscriptionStatus,
  Topic,
  TopicSchema,
  UseCall,
  UsePublish,
} from './index'

interface Todo {
  id: string
  title: string
}

expectTypeOf<PresenceMember['connectionId']>().toEqualTypeOf<string>()
expectTypeOf<PresenceMember['identity']>().toEqualTypeOf<string | null>()
expectTypeOf<SubscriptionState<CrudState<Todo>>['status']>().toEqualTypeOf<SubscriptionStatus>()
expectTypeOf<SubscribeOptions<CrudState<Todo>>['merge']>().toEqualTypeOf<MergeStrategy<CrudState<Todo>>>()
expectTypeOf<ConnectionState['status']>().toEqualTypeOf<
  'idle' | 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closed'
>()
expectTypeOf<ClientError['code']>().toBeString()
expectTypeOf<CrudTopic<Todo>>().toMatchTypeOf<Topic<CrudState<Todo>, CrudEvent<Todo>>>()
expectTypeOf<LatestTopic<Todo>>().toMatchTypeOf<Topic<readonly Todo[]>>()
expectTypeOf<SetTopic<Todo>>().toMatchTypeOf<Topic<Todo | null>>()
expectTypeOf<CursorTopic<Todo>>().toMatchTypeOf<Topic<ReadonlyMap<string, Todo>>>()
expectTypeOf<JsonCompatible<Todo>>().toEqualTypeOf<{ id: string; title: string }>()
expectTypeOf<PublishEvent<Todo>['data']>().toEqualTypeOf<Todo | undefined>()
expectTypeOf<UsePublish['data']['value']>().toEqualTypeOf<PublishResult | undefined>()
expectTypeOf<UseCall<number>['data']['value']>().toEqualTypeOf<number | undefined>()
expectTypeOf<ProcedureArgs<(args: { id: string }) => number>>().toEqualTypeOf<{ id: string }>()
expectTypeOf<ProcedureResult<(args: { id: string }) => number>>().toEqualTypeOf<number>()
expectTypeOf<SluiceClient<TopicSchema, ProcedureSchema>>().toEqualTypeOf<SluiceClient>()
