/** Where an item's identity comes from: a property name, or a function of the item. */
export type KeyOption<T> = (T extends object ? Extract<keyof T, string> : never) | ((item: T) => string)

/**
 * A strategy's sharing key (see `MergeStrategy.key`) from its name and options; none when the
 * item key is a function, which cannot be compared by value.
 */
export const strategyKey = (name: string, key: unknown, ...options: unknown[]): string | undefined =>
  typeof key === 'function' ? undefined : JSON.stringify([name, key, ...options])

/** Turns a {@link KeyOption} into a function; numbers are stringified, anything else has no key. */
export function keyReader<T>(key: KeyOption<T> | string): (item: T) => string | undefined {
  if (typeof key === 'function') return key
  return (item) => {
    const value =
      item !== null && typeof item === 'object' ? (item as Record<string, unknown>)[key] : undefined
    return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined
  }
}
