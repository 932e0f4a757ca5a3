import type { JsonObject } from '@sluice/protocol'
import type { OutboxEvent, OutboxRow, SourceEvent } from './types'

/**
 * The mapping of the outbox {@link outboxSql} creates: `topic` and `kind` columns as they are,
 * `key`, `data` and `meta` when not NULL. Throws (the row is then skipped and reported as
 * `MAP_FAILED`) when a column the event needs is missing or has the wrong type, naming it.
 *
 * @example
 * // A custom map that adds to the default one:
 * map: (row) => {
 *   const mapped = defaultMap(row)
 *   return { ...mapped, event: { ...mapped.event, meta: { at: String(row.created_at) } } }
 * }
 */
export function defaultMap(row: OutboxRow): OutboxEvent {
  const { topic, kind, key, data, meta } = row
  if (typeof topic !== 'string')
    throw new TypeError(`outbox row ${row.id}: topic must be text, got ${describe(topic)}`)
  if (typeof kind !== 'string')
    throw new TypeError(`outbox row ${row.id}: kind must be text, got ${describe(kind)}`)
  const event: SourceEvent = { kind }
  if (key !== null && key !== undefined) {
    if (typeof key !== 'string')
      throw new TypeError(`outbox row ${row.id}: key must be text, got ${describe(key)}`)
    event.key = key
  }
  if (data !== null && data !== undefined) event.data = data as SourceEvent['data']
  if (meta !== null && meta !== undefined) {
    if (typeof meta !== 'object' || Array.isArray(meta)) {
      throw new TypeError(`outbox row ${row.id}: meta must be a JSON object, got ${describe(meta)}`)
    }
    event.meta = meta as JsonObject
  }
  return { topic, event }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'NULL'
  return Array.isArray(value) ? 'an array' : typeof value
}
