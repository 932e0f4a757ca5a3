import { describe, expect, it } from 'vitest'
import { type KeyIndex, keyIndexOf, reroot, writeKeys } from './key-index'

function write(base: KeyIndex, entries: Array<[string, number | null]>): KeyIndex {
  return writeKeys(base, new Map(entries.map(([key, value]) => [key, value ?? undefined])))
}

const view = (version: KeyIndex) =>
  Object.fromEntries([...reroot(version)].sort(([a], [b]) => a.localeCompare(b)))

describe('key index', () => {
  it('keeps every version readable, moving the one shared Map between branches', () => {
    const v0 = keyIndexOf(new Map([['a', 1]]))
    const v1 = write(v0, [
      ['b', 2],
      ['a', 3],
      ['a', 4],
    ])
    const branch = write(v0, [['a', null]])
    const v2 = write(v1, [
      ['b', null],
      ['c', 5],
    ])
    expect(view(v2)).toEqual({ a: 4, c: 5 })
    expect(view(v0)).toEqual({ a: 1 })
    expect(view(branch)).toEqual({})
    expect(view(v1)).toEqual({ a: 4, b: 2 })
    expect(view(v2)).toEqual({ a: 4, c: 5 })
    // One Map for all: only the version read last owns it.
    expect([v0, v1, branch, v2].map((v) => v.next === null)).toEqual([false, false, false, true])
    expect(reroot(v0)).toBe(v2.lineage.map)
  })

  it('writes deletes too, and leaves the base as it was', () => {
    const v0 = keyIndexOf(new Map([['a', 1]]))
    const v1 = write(v0, [
      ['a', 2],
      ['b', 3],
      ['a', null],
    ])
    expect(view(v1)).toEqual({ b: 3 })
    expect(view(v0)).toEqual({ a: 1 })
    expect(view(v1)).toEqual({ b: 3 })
  })

  it('hands a new Map to the version after a lineage wrote over twice its size, leaving older versions whole', () => {
    const start = keyIndexOf(new Map(Array.from({ length: 600 }, (_, i) => [`k${i}`, i] as [string, number])))
    let version = start
    const versions: KeyIndex[] = []
    // Each batch rewrites 300 keys: the fifth passes max(1024, 2 × 600) written entries.
    for (let batch = 1; batch <= 6; batch++) {
      version = write(
        version,
        Array.from({ length: 300 }, (_, i): [string, number] => [`k${i}`, batch * 1000 + i]),
      )
      versions.push(version)
    }
    const maps = versions.map((v) => reroot(v))
    expect(maps[0]).toBe(maps[3])
    expect(maps[4]).not.toBe(maps[3])
    expect(maps[5]).toBe(maps[4])
    expect(reroot(start).get('k5')).toBe(5)
    expect(versions.map((v) => reroot(v).get('k5'))).toEqual([1005, 2005, 3005, 4005, 5005, 6005])
    expect(versions.map((v) => reroot(v).get('k599'))).toEqual([599, 599, 599, 599, 599, 599])
  })
})
