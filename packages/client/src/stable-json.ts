/**
 * JSON with object keys sorted at every level, so `{a, b}` and `{b, a}` give one string.
 * Used as the identity of a filter (shared subscriptions) and of call arguments (dedupe).
 */
export const stableJson = (value: unknown): string =>
  value === undefined
    ? ''
    : JSON.stringify(value, (_key, inner: unknown) =>
        inner && typeof inner === 'object' && !Array.isArray(inner)
          ? // fromEntries defines properties, so a `__proto__` key (legal in JSON args) is kept, not dropped.
            Object.fromEntries(
              Object.keys(inner)
                .sort()
                .map((key) => [key, (inner as Record<string, unknown>)[key]]),
            )
          : inner,
      )
