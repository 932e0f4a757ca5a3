import { describe, expect, it, vi } from 'vitest'
import { appended } from '../../test/engine-contract'
import { createMemoryEngine } from './memory'

// The cases every engine shares are in test/engine-contract.ts (memory.contract.test.ts).
const input = (n: number, ts = Date.now()) => ({ kind: 'created', key: String(n), data: { n }, ts })

describe('createMemoryEngine', () => {
  it('drops the least recently written log past maxTopics, which then restarts with a new epoch', () => {
    const engine = createMemoryEngine({ maxTopics: 2 })
    const first = appended(engine.append('a', input(1)))
    engine.append('b', input(1))
    engine.append('a', input(2))
    engine.append('c', input(1))
    expect(engine.head('a')).toEqual({ epoch: first.epoch, seq: 2 })
    const b = engine.head('b')
    expect(b.seq).toBe(0)
  })

  it('notifies listeners synchronously, in append order', () => {
    const engine = createMemoryEngine()
    const seen: number[] = []
    const stop = engine.subscribe({
      event: (e) => seen.push(e.seq),
      presence: vi.fn(),
      sseCommands: vi.fn(),
      identity: vi.fn(),
      lost: vi.fn(),
    })
    engine.append('t', input(1))
    engine.append('t', input(2))
    expect(seen).toEqual([1, 2])
    stop()
    engine.append('t', input(3))
    expect(seen).toEqual([1, 2])
  })
})
