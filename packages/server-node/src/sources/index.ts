export { type FromAsyncIterableOptions, fromAsyncIterable } from './from-async-iterable'
export { type Poller, type PollOptions, poll } from './poll'
export type { PublishTarget, SourceEvent } from './types'
export { type WebhookEvent, type WebhookHandlerOptions, webhookHandler } from './webhook-handler'
