/**
 * Reads the array out of snapshot data: the array itself, or the array under `field` (so
 * a loader may return `{ items: [...] }` and a presence `sync` frame may be passed whole).
 * Anything else is a bug in a snapshot provider or loader, reported with what was received.
 */
export function snapshotArray(data: unknown, field: string, strategy: string): readonly unknown[] {
  if (Array.isArray(data)) return data
  // Not an array: an object, or a primitive, whose `field` is undefined.
  const inner = (data as { readonly [key: string]: unknown } | null)?.[field]
  if (Array.isArray(inner)) return inner
  const received =
    data === null
      ? 'null'
      : typeof data === 'object'
        ? `an object with keys [${Object.keys(data).join(', ')}]`
        : typeof data
  throw new TypeError(
    `${strategy}(): snapshot data must be an array or an object with an array "${field}"; received ${received}`,
  )
}
