export { hydrate } from './hydrate'
export {
  animationFrameScheduler,
  microtaskScheduler,
  resolveScheduler,
  type SchedulerOption,
} from './scheduler'
export {
  createSubscriptionStore,
  type SubscriptionStore,
  type SubscriptionStoreOptions,
} from './subscription-store'
export type {
  MergeStrategy,
  OptimisticEvent,
  Scheduler,
  SubscriptionSink,
  SubscriptionState,
  SubscriptionStatus,
} from './types'
