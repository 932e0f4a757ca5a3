/**
 * JSON with object keys sorted at every level, so `{a, b}` and `{b, a}` give one string.
 * Used as the identity of a filter (shared subscriptions) and of call arguments (dedupe).
 */
export function stableJson(value: unknown): string {
  if (value === undefined) return ''
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner
    // No prototype, so a `__proto__` key (legal in JSON args) is kept instead of dropped.
    const sorted: Record<string, unknown> = Object.create(null)
    for (const key of Object.keys(inner).sort()) sorted[key] = (inner as Record<string, unknown>)[key]
    return sorted
  })
}
