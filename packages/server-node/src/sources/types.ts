import type { EventKind, Json, JsonObject } from '@sluice/protocol'

/** An event as a source hands it to `publish`: the server assigns epoch, seq and ts. */
export interface SourceEvent {
  kind: EventKind
  key?: string
  data?: Json
  meta?: JsonObject
}

/** Anything that publishes events to topics; a Sluice server fits. */
export interface PublishTarget {
  publish(topic: string, event: SourceEvent): Promise<unknown>
}
