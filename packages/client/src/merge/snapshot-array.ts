import type { Json } from '@sluice/protocol'

/**
 * Reads the array out of snapshot data: the array itself, or the array under `field` (so
 * a loader may return `{ items: [...] }` and a presence `sync` frame may be passed whole).
 * Anything else is a bug in a snapshot provider or loader, reported with what was received.
 */
export function snapshotArray(data: Json, field: string, strategy: string): readonly unknown[] {
  if (Array.isArray(data)) return data
  if (data !== null && typeof data === 'object' && Array.isArray(data[field])) return data[field] as Json[]
  throw new TypeError(
    `${strategy}(): snapshot data must be an array or an object with an array "${field}"; received ${describe(data)}`,
  )
}

function describe(value: Json): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return `an object with keys [${Object.keys(value).join(', ')}]`
  return typeof value
}
