import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type Scheduled, TimerHeap } from './timer-heap'

beforeEach(() => {
  vi.useFakeTimers({ now: 0 })
})
afterEach(() => {
  vi.useRealTimers()
})

function entry(name: string, log: string[], onFire?: (now: number) => void): Scheduled {
  return {
    dueAt: 0,
    heapSlot: -1,
    fire(now) {
      log.push(`${name}@${now}`)
      onFire?.(now)
    },
  }
}

describe('TimerHeap', () => {
  it('fires each entry at its own deadline, in deadline order, with one timer', () => {
    const heap = new TimerHeap(Date.now, () => {})
    const log: string[] = []
    const deadlines = [50, 10, 40, 10, 30, 20, 60, 5]
    for (const [i, at] of deadlines.entries()) heap.schedule(entry(`e${i}`, log), at)
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(9)
    expect(log).toEqual(['e7@5'])
    vi.advanceTimersByTime(100)
    expect(log).toEqual(['e7@5', 'e1@10', 'e3@10', 'e5@20', 'e4@30', 'e2@40', 'e0@50', 'e6@60'])
    expect(heap.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('moves a queued entry earlier or later, and cancels', () => {
    const heap = new TimerHeap(Date.now, () => {})
    const log: string[] = []
    const a = entry('a', log)
    const b = entry('b', log)
    const c = entry('c', log)
    heap.schedule(a, 10)
    heap.schedule(b, 20)
    heap.schedule(c, 30)
    heap.schedule(c, 5)
    heap.schedule(a, 25)
    heap.cancel(b)
    heap.cancel(b)
    expect(b.heapSlot).toBe(-1)
    vi.advanceTimersByTime(100)
    expect(log).toEqual(['c@5', 'a@25'])
  })

  it('lets an entry schedule itself again from fire (a repeating heartbeat)', () => {
    const heap = new TimerHeap(Date.now, () => {})
    const log: string[] = []
    const beat: Scheduled = entry('beat', log, (now) => {
      if (log.length < 3) heap.schedule(beat, now + 100)
    })
    heap.schedule(beat, 100)
    vi.advanceTimersByTime(1_000)
    expect(log).toEqual(['beat@100', 'beat@200', 'beat@300'])
  })

  it('reports an entry that throws and still fires the others', () => {
    const errors: unknown[] = []
    const heap = new TimerHeap(Date.now, (error) => errors.push(error))
    const log: string[] = []
    heap.schedule(
      entry('bad', log, () => {
        throw new Error('boom')
      }),
      10,
    )
    heap.schedule(entry('good', log), 10)
    vi.advanceTimersByTime(10)
    expect(log).toEqual(['bad@10', 'good@10'])
    expect(errors).toEqual([new Error('boom')])
  })

  it('keeps the heap order under many random operations', () => {
    const heap = new TimerHeap(Date.now, () => {})
    const log: number[] = []
    let seed = 7
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647
      return seed / 2_147_483_647
    }
    const items = Array.from({ length: 300 }, (): Scheduled => {
      const item: Scheduled = { dueAt: 0, heapSlot: -1, fire: () => log.push(item.dueAt) }
      return item
    })
    for (const item of items) heap.schedule(item, 1 + Math.floor(random() * 1_000))
    for (const item of items.slice(0, 100)) heap.cancel(item)
    for (const item of items.slice(100, 200)) heap.schedule(item, 1 + Math.floor(random() * 1_000))
    vi.advanceTimersByTime(2_000)
    expect(log).toHaveLength(200)
    expect(log).toEqual([...log].sort((x, y) => x - y))
  })
})
