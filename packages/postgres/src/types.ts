import type { EventKind, Json, JsonObject } from '@sluice/protocol'

/** An event as a source hands it to `publish`: the server assigns epoch, seq and ts. */
export interface SourceEvent {
  kind: EventKind
  key?: string
  data?: Json
  meta?: JsonObject
}

/**
 * Anything that publishes events to topics with an idempotency id; a Sluice server fits. The id
 * is what makes a re-read row harmless: the server appends a second publish with the same id
 * only once within its dedup window.
 */
export interface PublishTarget {
  publish(topic: string, event: SourceEvent, options: { id: string }): Promise<unknown>
}

/** A row of the outbox as `pg` parsed it (jsonb → objects, timestamptz → Date), `id` as a decimal string. */
export interface OutboxRow {
  id: string
  [column: string]: unknown
}

/** What a row becomes: the topic to publish to and the event. */
export interface OutboxEvent {
  topic: string
  event: SourceEvent
}
