import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryEngine, type MemoryEngine } from '../engine/memory'
import { Publisher, type PublishOutcome } from './publish'

let engine: MemoryEngine
let publisher: Publisher
let epoch: string

beforeEach(() => {
  vi.useFakeTimers({ now: 0 })
  engine = createMemoryEngine()
  epoch = engine.head('t').epoch
  publisher = new Publisher({
    engine,
    coalesceMs: 50,
    dedupWindow: { size: 100, ms: 60_000 },
    now: () => Date.now(),
  })
})
afterEach(() => {
  vi.useRealTimers()
})

/** The log of topic t as [ts, key] pairs: what landed, and when. */
const appended = () => {
  const read = engine.readAfter('t', { epoch, seq: 0 })
  return read.ok ? read.events.map((event) => [event.ts, event.key]) : read
}

/** Publishes key `k<n>` at the current fake time and records what its promise resolves to. */
function recorder(options: Parameters<Publisher['publish']>[2]) {
  const outcomes = new Map<string, PublishOutcome | null>()
  return {
    outcomes,
    publish(key: string) {
      void publisher.publish('t', { kind: 'set', key }, options).then((outcome) => {
        outcomes.set(key, outcome)
      })
    },
  }
}

describe('throttle', () => {
  it('appends the first at once, the last of each window at its end, at most one per window', async () => {
    const { publish, outcomes } = recorder({ throttle: { key: 'cursor', ms: 100 } })
    publish('a') // t=0: leading
    await vi.advanceTimersByTimeAsync(10)
    publish('b') // t=10: replaced by c
    await vi.advanceTimersByTimeAsync(30)
    publish('c') // t=40: trailing at t=100
    await vi.advanceTimersByTimeAsync(60)
    expect(appended()).toEqual([
      [0, 'a'],
      [100, 'c'],
    ])
    await vi.advanceTimersByTimeAsync(20)
    publish('d') // t=120: inside the window the trailing append opened (100..200)
    await vi.advanceTimersByTimeAsync(80)
    expect(appended()).toEqual([
      [0, 'a'],
      [100, 'c'],
      [200, 'd'],
    ])
    // A window with nothing in it ends the burst: the next publish leads again, at once.
    await vi.advanceTimersByTimeAsync(150)
    publish('e') // t=350
    await vi.advanceTimersByTimeAsync(0)
    expect(appended()).toEqual([
      [0, 'a'],
      [100, 'c'],
      [200, 'd'],
      [350, 'e'],
    ])
    expect(Object.fromEntries(outcomes)).toEqual({
      a: { epoch, seq: 1, duplicate: false },
      b: null,
      c: { epoch, seq: 2, duplicate: false },
      d: { epoch, seq: 3, duplicate: false },
      e: { epoch, seq: 4, duplicate: false },
    })
  })

  it('keeps keys, topics and modes apart', async () => {
    void publisher.publish('t', { kind: 'set', key: 'x1' }, { throttle: { key: 'x', ms: 100 } })
    void publisher.publish('t', { kind: 'set', key: 'y1' }, { throttle: { key: 'y', ms: 100 } })
    void publisher.publish('t', { kind: 'set', key: 'x-debounced' }, { debounce: { key: 'x', ms: 100 } })
    void publisher.publish('u', { kind: 'set', key: 'x-on-u' }, { throttle: { key: 'x', ms: 100 } })
    await vi.advanceTimersByTimeAsync(0)
    expect(appended()).toEqual([
      [0, 'x1'],
      [0, 'y1'],
    ])
    await vi.advanceTimersByTimeAsync(100)
    expect(appended()).toEqual([
      [0, 'x1'],
      [0, 'y1'],
      [100, 'x-debounced'],
    ])
    expect(engine.head('u').seq).toBe(1)
  })
})

describe('debounce', () => {
  it('appends the last publish once the key was quiet for ms', async () => {
    const { publish, outcomes } = recorder({ debounce: { key: 'search', ms: 100 } })
    publish('a') // t=0
    await vi.advanceTimersByTimeAsync(60)
    publish('b') // t=60: restarts the timer
    await vi.advanceTimersByTimeAsync(60)
    publish('c') // t=120: restarts it again
    await vi.advanceTimersByTimeAsync(99)
    expect(appended()).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(appended()).toEqual([[220, 'c']])
    publish('d') // t=220: a new burst
    await vi.advanceTimersByTimeAsync(100)
    expect(appended()).toEqual([
      [220, 'c'],
      [320, 'd'],
    ])
    expect(Object.fromEntries(outcomes)).toEqual({
      a: null,
      b: null,
      c: { epoch, seq: 1, duplicate: false },
      d: { epoch, seq: 2, duplicate: false },
    })
  })

  it('keeps the id of the publish that lands', async () => {
    void publisher.publish('t', { kind: 'set', key: 'a' }, { id: 'first', debounce: { key: 'k', ms: 10 } })
    const last = publisher.publish(
      't',
      { kind: 'set', key: 'b' },
      { id: 'last', debounce: { key: 'k', ms: 10 } },
    )
    await vi.advanceTimersByTimeAsync(10)
    expect(await last).toEqual({ epoch, seq: 1, duplicate: false })
    const read = engine.readAfter('t', { epoch, seq: 0 })
    expect(read.ok && read.events.map((event) => event.publishId)).toEqual(['last'])
  })
})

describe('coalesceKey', () => {
  it('still appends the last of a window opened by the first, after coalesceMs', async () => {
    const { publish, outcomes } = recorder({ coalesceKey: 'progress' })
    publish('a') // t=0 opens the window until t=50
    await vi.advanceTimersByTimeAsync(30)
    publish('b') // t=30: does not move the end
    await vi.advanceTimersByTimeAsync(20)
    expect(appended()).toEqual([[50, 'b']])
    expect(Object.fromEntries(outcomes)).toEqual({ a: null, b: { epoch, seq: 1, duplicate: false } })
  })
})

describe('flush', () => {
  it('appends what is pending in every mode at once, and nothing twice', async () => {
    void publisher.publish('t', { kind: 'set', key: 'lead' }, { throttle: { key: 'th', ms: 1_000 } })
    void publisher.publish('t', { kind: 'set', key: 'trail' }, { throttle: { key: 'th', ms: 1_000 } })
    void publisher.publish('t', { kind: 'set', key: 'deb' }, { debounce: { key: 'd', ms: 1_000 } })
    void publisher.publish('t', { kind: 'set', key: 'coal' }, { coalesceKey: 'c' })
    await vi.advanceTimersByTimeAsync(0)
    publisher.flush()
    await vi.advanceTimersByTimeAsync(5_000)
    expect(appended()).toEqual([
      [0, 'lead'],
      [0, 'trail'],
      [0, 'deb'],
      [0, 'coal'],
    ])
  })
})

describe("the server README's table", () => {
  it.each([
    [
      'throttle',
      { throttle: { key: 'k', ms: 100 } },
      [
        [0, 'a'],
        [100, 'c'],
        [200, 'd'],
        [350, 'e'],
      ],
      ['b'],
    ],
    [
      'debounce',
      { debounce: { key: 'k', ms: 100 } },
      [
        [220, 'd'],
        [450, 'e'],
      ],
      ['a', 'b', 'c'],
    ],
    [
      'coalesceKey',
      { coalesceKey: 'k' },
      [
        [50, 'c'],
        [170, 'd'],
        [400, 'e'],
      ],
      ['a', 'b'],
    ],
  ] as const)(
    '%s appends what the table says for a@0, b@10, c@40, d@120, e@350',
    async (_mode, options, landed, replaced) => {
      const { publish, outcomes } = recorder(options)
      let now = 0
      for (const [at, key] of [
        [0, 'a'],
        [10, 'b'],
        [40, 'c'],
        [120, 'd'],
        [350, 'e'],
      ] as const) {
        await vi.advanceTimersByTimeAsync(at - now)
        now = at
        publish(key)
      }
      await vi.advanceTimersByTimeAsync(1_000)
      expect(appended()).toEqual(landed)
      expect([...outcomes].filter(([, outcome]) => outcome === null).map(([key]) => key)).toEqual(replaced)
    },
  )
})
