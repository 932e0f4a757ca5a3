import { expect } from 'vitest'
import type { KeyedList } from './keyed-list'

/**
 * Test helper: checks every accessor of `list` against `expected` (the items in public order)
 * and `byKey` (what `get` must answer for each of `keys`).
 */
export function expectListToMatch<T>(
  list: KeyedList<T>,
  expected: readonly T[],
  byKey: (key: string) => T | undefined,
  keys: readonly string[],
  ranges: ReadonlyArray<readonly [number | undefined, number | undefined]> = [],
): void {
  expect(list.size).toBe(expected.length)
  expect(list.items).toEqual(expected)
  expect([...list]).toEqual(expected)
  for (let i = -1; i <= expected.length; i++) expect(list.at(i)).toEqual(expected.at(i))
  if (expected.length > 0) expect(list.at(-expected.length)).toEqual(expected[0])
  expect(list.slice()).toEqual(expected)
  for (const [start, end] of ranges) expect(list.slice(start, end)).toEqual(expected.slice(start, end))
  for (const key of keys) {
    expect(list.get(key)).toEqual(byKey(key))
    expect(list.has(key)).toBe(byKey(key) !== undefined)
  }
}
