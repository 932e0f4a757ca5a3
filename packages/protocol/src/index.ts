export { decodeBase64Url, encodeBase64Url } from './base64url'
export {
  type ClientDecodeOptions,
  decodeClientFrame,
  decodeClientMessage,
  KIND_PATTERN,
  MAX_KEY_LENGTH,
  MAX_TOKEN_LENGTH,
} from './decode-client'
export type { DecodeResult } from './decode-helpers'
export { decodeServerFrame, decodeServerMessage } from './decode-server'
export { encodeMessage } from './encode'
export {
  CloseCode,
  closeCodeFor,
  ERROR_CODES,
  type ErrorCode,
  httpStatusFor,
  isErrorCode,
  isRefusedMessageCloseCode,
  isTerminalCloseCode,
  isWireErrorCode,
  ProtocolError,
  type ProtocolErrorOptions,
  type ValidationIssue,
  type WireErrorCode,
} from './errors'
export {
  compileFilter,
  FILTER_LIMITS,
  type Filter,
  type FilterPredicate,
  type FilterScalar,
  matchesFilter,
  validateFilter,
} from './filter'
export type {
  AckFrame,
  AuthFrame,
  CallFrame,
  ClientFrame,
  ClientFrameType,
  ClientPingFrame,
  ErrorFrame,
  EventFrame,
  EventKind,
  HistoryEnd,
  HistoryFrame,
  HistoryPageFrame,
  Json,
  JsonObject,
  Limits,
  PongFrame,
  PresenceFrame,
  PresenceMember,
  PublishFrame,
  ReconnectFrame,
  ResultFrame,
  ResyncFrame,
  ResyncReason,
  ServerFrame,
  ServerFrameType,
  ServerPingFrame,
  SetPresenceFrame,
  SignalFrame,
  SnapshotFrame,
  SnapshotMode,
  SubscribedFrame,
  SubscribeFrame,
  UnsubscribedFrame,
  UnsubscribeFrame,
  WelcomeFrame,
} from './frames'
export type { JsonCompatible, JsonInput, Jsonified } from './json-compatible'
export {
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_HISTORY_PAGE,
  DEFAULT_LIMITS,
  isValidSignalName,
  isValidTopic,
  MAX_HISTORY_PAGE,
  MAX_ID_LENGTH,
  MAX_NAME_LENGTH,
  MAX_REWIND,
  PROTOCOL_VERSION,
  TOPIC_PATTERN,
  utf8Length,
} from './limits'
export {
  comparePositions,
  EPOCH_PATTERN,
  formatPosition,
  isSeq,
  type Position,
  parsePosition,
} from './position'
export { decodePublishRequest, type PublishRequest } from './publish-request'
export { readServerFrame, readServerMessage } from './read-server'
export {
  decodeLastEventId,
  encodeStreamCursor,
  formatSseComment,
  formatSseEvent,
  type SseFields,
  sseEventName,
} from './sse'
export {
  decodeSubscriptionsParam,
  encodeSubscriptionsParam,
  type SubscriptionRequest,
  type SubscriptionsParamOptions,
} from './subscriptions-param'
