export { defaultMap } from './default-map'
export { captureTable, installOutbox, type Queryable } from './install'
export { type OutboxSource, type OutboxSourceOptions, outboxSource } from './outbox-source'
export {
  type CaptureSqlOptions,
  captureSql,
  DEFAULT_OUTBOX_TABLE,
  type OutboxSqlOptions,
  outboxSql,
} from './outbox-sql'
export {
  PostgresSourceError,
  type PostgresSourceErrorCode,
  type PostgresSourceErrorOptions,
} from './postgres-source-error'
export { type BackoffOptions, exponentialBackoff } from './retry-delay'
export type { SourceState, SourceTransition } from './source-state'
export type { TimerProvider } from './timers'
export type { OutboxEvent, OutboxRow, PublishTarget, SourceEvent } from './types'
