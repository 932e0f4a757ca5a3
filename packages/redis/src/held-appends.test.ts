import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { HeldAppends } from './held-appends'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('HeldAppends', () => {
  it('retries after pollMs in call order, the oldest first with the marker cleared', () => {
    const held = new HeldAppends(10)
    const sent: Array<[number, boolean]> = []
    const append = (order: number) => ({
      order,
      send: (retry: boolean) => sent.push([order, retry]),
      fail: () => {},
    })
    // Refusals come back in pipeline order, but an append made after the first refusal queues
    // locally before the refusal of one already on the wire arrives.
    held.add('t', append(1))
    held.add('t', append(3))
    held.add('t', append(2))
    expect(held.has('t')).toBe(true)
    expect(held.has('u')).toBe(false)
    vi.advanceTimersByTime(9)
    expect(sent).toEqual([])
    vi.advanceTimersByTime(1)
    expect(sent).toEqual([
      [1, true],
      [2, false],
      [3, false],
    ])
    expect(held.has('t')).toBe(false)
  })

  it('fails every waiting append on close', () => {
    const held = new HeldAppends(10)
    const failed: number[] = []
    held.add('t', { order: 1, send: () => {}, fail: () => failed.push(1) })
    held.add('u', { order: 2, send: () => {}, fail: () => failed.push(2) })
    held.close(new Error('closed'))
    vi.advanceTimersByTime(100)
    expect(failed).toEqual([1, 2])
  })
})
