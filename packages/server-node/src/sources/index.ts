export { type FromAsyncIterableOptions, fromAsyncIterable } from './from-async-iterable'
export { type Poller, type PollOptions, poll } from './poll'
export {
  githubSignature,
  type HmacAlgorithm,
  type HmacSignatureOptions,
  hmacSignature,
  type StripeSignatureOptions,
  stripeSignature,
  type WebhookRequest,
  type WebhookSecret,
  type WebhookVerifier,
} from './signatures'
export type { PublishTarget, SourceEvent } from './types'
export { type WebhookEvent, type WebhookHandlerOptions, webhookHandler } from './webhook-handler'
