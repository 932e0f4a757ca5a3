import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { poll } from './poll'
import type { PublishTarget, SourceEvent } from './types'

function recorder() {
  const published: Array<{ at: number; topic: string; event: SourceEvent }> = []
  const target: PublishTarget = {
    publish: async (topic, event) => {
      published.push({ at: Date.now(), topic, event })
    },
  }
  return { published, target }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('poll', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('runs at once, then intervalMs after each run ends, never overlapping', async () => {
    const { target } = recorder()
    const starts: number[] = []
    let active = 0
    let maxActive = 0
    const poller = poll(target, 'prices', {
      intervalMs: 1000,
      fetch: async () => {
        starts.push(Date.now())
        active++
        maxActive = Math.max(maxActive, active)
        await sleep(300)
        active--
        return null
      },
    })
    await vi.advanceTimersByTimeAsync(4000)
    expect(starts).toEqual([0, 1300, 2600, 3900])
    expect(maxActive).toBe(1)
    // The run that started at 3900 is still sleeping: stop() resolves once it ends.
    await Promise.all([poller.stop(), vi.advanceTimersByTimeAsync(300)])
    await vi.advanceTimersByTimeAsync(5000)
    expect(starts).toHaveLength(4)
  })

  it('publishes a single event or a list in order, and nothing for null or undefined', async () => {
    const { published, target } = recorder()
    const results: Array<SourceEvent[] | SourceEvent | null | undefined> = [
      { kind: 'set', data: 1 },
      null,
      undefined,
      [
        { kind: 'created', key: 'a' },
        { kind: 'created', key: 'b' },
      ],
    ]
    const poller = poll(target, 'feed', { intervalMs: 100, fetch: async () => results.shift() })
    await vi.advanceTimersByTimeAsync(350)
    expect(published).toEqual([
      { at: 0, topic: 'feed', event: { kind: 'set', data: 1 } },
      { at: 300, topic: 'feed', event: { kind: 'created', key: 'a' } },
      { at: 300, topic: 'feed', event: { kind: 'created', key: 'b' } },
    ])
    await poller.stop()
  })

  it('backs off exponentially on errors, capped, and resets after a success', async () => {
    const { target } = recorder()
    const starts: number[] = []
    const outcomes = ['fail', 'fail', 'fail', 'ok', 'ok']
    const onError = vi.fn()
    const poller = poll(target, 'feed', {
      intervalMs: 1000,
      maxBackoffMs: 5000,
      onError,
      fetch: async () => {
        starts.push(Date.now())
        if (outcomes.shift() === 'fail') throw new Error('upstream 503')
        return null
      },
    })
    await vi.advanceTimersByTimeAsync(12_000)
    // 0 fails → +2000 fails → +4000 fails → +5000 (capped) ok → +1000 ok
    expect(starts).toEqual([0, 2000, 6000, 11_000, 12_000])
    expect(onError.mock.calls.map(([error, info]) => [(error as Error).message, info])).toEqual([
      ['upstream 503', { failures: 1, retryInMs: 2000 }],
      ['upstream 503', { failures: 2, retryInMs: 4000 }],
      ['upstream 503', { failures: 3, retryInMs: 5000 }],
    ])
    await poller.stop()
  })

  it('treats a failed publish like a failed fetch', async () => {
    const onError = vi.fn()
    const target: PublishTarget = {
      publish: async () => {
        throw new Error('rejected')
      },
    }
    const poller = poll(target, 'feed', { intervalMs: 100, onError, fetch: async () => ({ kind: 'set' }) })
    await vi.advanceTimersByTimeAsync(0)
    expect(onError.mock.calls.map(([, info]) => info)).toEqual([{ failures: 1, retryInMs: 200 }])
    await poller.stop()
  })

  it('logs errors to the console by default', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {})
    const failure = new Error('nope')
    const poller = poll(recorder().target, 'feed', {
      intervalMs: 100,
      fetch: async () => {
        throw failure
      },
    })
    await vi.advanceTimersByTimeAsync(0)
    expect(consoleError.mock.calls).toEqual([
      ['[sluice] poll("feed") failed 1× in a row; next run in 200 ms', failure],
    ])
    await poller.stop()
  })

  it('stop() waits for the run in progress and prevents further runs', async () => {
    const { published, target } = recorder()
    let runs = 0
    const poller = poll(target, 'feed', {
      intervalMs: 100,
      fetch: async () => {
        runs++
        await sleep(50)
        return { kind: 'set', data: runs }
      },
    })
    await vi.advanceTimersByTimeAsync(10)
    let stopped = false
    const stopping = poller.stop().then(() => {
      stopped = true
    })
    await vi.advanceTimersByTimeAsync(10)
    expect(stopped).toBe(false)
    await vi.advanceTimersByTimeAsync(40)
    await stopping
    // The run in progress was told to stop, so it published nothing and scheduled nothing.
    expect(published).toEqual([])
    await vi.advanceTimersByTimeAsync(1000)
    expect(runs).toBe(1)
  })

  it('stops when the signal aborts, and never starts with an aborted one', async () => {
    const controller = new AbortController()
    const fetch = vi.fn(async () => null)
    poll(recorder().target, 'feed', { intervalMs: 100, fetch, signal: controller.signal })
    await vi.advanceTimersByTimeAsync(250)
    expect(fetch).toHaveBeenCalledTimes(3)
    controller.abort()
    await vi.advanceTimersByTimeAsync(1000)
    expect(fetch).toHaveBeenCalledTimes(3)

    const never = vi.fn(async () => null)
    poll(recorder().target, 'feed', { intervalMs: 100, fetch: never, signal: AbortSignal.abort() })
    await vi.advanceTimersByTimeAsync(1000)
    expect(never).not.toHaveBeenCalled()
  })

  it('waits intervalMs before the first run when not immediate', async () => {
    const starts: number[] = []
    const poller = poll(recorder().target, 'feed', {
      intervalMs: 500,
      immediate: false,
      fetch: async () => {
        starts.push(Date.now())
        return null
      },
    })
    await vi.advanceTimersByTimeAsync(1000)
    expect(starts).toEqual([500, 1000])
    await poller.stop()
  })

  it('rejects a non-positive interval', () => {
    expect(() => poll(recorder().target, 't', { intervalMs: 0, fetch: async () => null })).toThrow(
      'poll: intervalMs must be a positive number, got 0',
    )
  })
})
