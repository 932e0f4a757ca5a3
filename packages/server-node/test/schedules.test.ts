// Cron schedules over a real WebSocket subscriber, with the clock faked: due times, published
// results, skipped overlapping runs, errors, the stop on close, and one event per due time when
// two servers share an engine (two nodes).
import type { EventFrame } from '@sluice/protocol'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryEngine } from '../src/engine/memory'
import type { ErrorContext } from '../src/options'
import { createSluiceServer } from '../src/server'
import { ServerError } from '../src/server-error'
import { ofType, serverPerTest, type WsPeer } from './helpers'

const fixture = serverPerTest()
const START = Date.parse('2030-01-01T00:00:00.500Z')

beforeEach(() => {
  vi.useFakeTimers({ now: START, toFake: ['setTimeout', 'clearTimeout', 'Date'] })
})
afterEach(() => {
  vi.useRealTimers()
})

async function subscriber(topic: string): Promise<WsPeer> {
  const { peer } = await fixture.open()
  peer.send({ type: 'subscribe', id: 's', topic })
  await peer.next(ofType('subscribed'))
  return peer
}

const events = (peer: WsPeer) =>
  peer.frames
    .filter((frame): frame is EventFrame => frame.type === 'event')
    .map((e) => [e.seq, e.data, e.publishId])

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

describe('schedules', () => {
  it('runs at each due time and publishes what the function returns', async () => {
    const t = await fixture.start()
    const peer = await subscriber('ticks')
    const calls: string[] = []
    const schedule = t.server.schedule('*/10 * * * * *', 'ticks', ({ scheduledAt }) => {
      calls.push(scheduledAt.toISOString())
      // Nothing to publish on the second run.
      return calls.length === 2 ? null : { kind: 'set', data: calls.length }
    })
    expect(schedule.name).toBe('ticks */10 * * * * *')
    expect(schedule.nextRun()?.toISOString()).toBe('2030-01-01T00:00:10.000Z')
    await vi.advanceTimersByTimeAsync(9_499)
    expect(calls).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    await vi.advanceTimersByTimeAsync(20_000)
    await peer.next(ofType('event', (frame) => frame.seq === 2))
    expect(calls).toEqual([
      '2030-01-01T00:00:10.000Z',
      '2030-01-01T00:00:20.000Z',
      '2030-01-01T00:00:30.000Z',
    ])
    expect(events(peer)).toEqual([
      [1, 1, 'ticks */10 * * * * *@2030-01-01T00:00:10.000Z'],
      [2, 3, 'ticks */10 * * * * *@2030-01-01T00:00:30.000Z'],
    ])
    expect(t.server.stats().schedules).toEqual([
      {
        name: 'ticks */10 * * * * *',
        cron: '*/10 * * * * *',
        topic: 'ticks',
        state: 'idle',
        runs: 3,
        skipped: 0,
        failures: 0,
        lastRunAt: Date.parse('2030-01-01T00:00:30.000Z'),
        nextRunAt: Date.parse('2030-01-01T00:00:40.000Z'),
        lastError: null,
      },
    ])
  })

  it('skips a due time while the previous run is still going, and says so', async () => {
    const skips: unknown[] = []
    const t = await fixture.start()
    const peer = await subscriber('report')
    const gates = [deferred(), deferred()]
    let run = 0
    t.server.schedule(
      '* * * * * *',
      'report',
      async () => {
        const gate = gates[run++]
        await gate?.promise
        return { kind: 'set', data: run }
      },
      {
        name: 'report',
        onSkip: ({ name, scheduledAt, runningSince }) =>
          skips.push([name, scheduledAt.toISOString(), runningSince.toISOString()]),
      },
    )
    await vi.advanceTimersByTimeAsync(500) // :01 starts and waits
    await vi.advanceTimersByTimeAsync(2_000) // :02 and :03 find it going
    expect(skips).toEqual([
      ['report', '2030-01-01T00:00:02.000Z', '2030-01-01T00:00:01.000Z'],
      ['report', '2030-01-01T00:00:03.000Z', '2030-01-01T00:00:01.000Z'],
    ])
    expect(t.server.stats().schedules[0]).toMatchObject({ state: 'running', runs: 1, skipped: 2 })
    gates[0]?.resolve()
    await peer.next(ofType('event', (frame) => frame.seq === 1))
    await vi.advanceTimersByTimeAsync(1_000) // :04 runs
    gates[1]?.resolve()
    await peer.next(ofType('event', (frame) => frame.seq === 2))
    expect(events(peer)).toEqual([
      [1, 1, 'report@2030-01-01T00:00:01.000Z'],
      [2, 2, 'report@2030-01-01T00:00:04.000Z'],
    ])
    expect(t.server.stats().schedules[0]).toMatchObject({ runs: 2, skipped: 2 })
  })

  it('reports a failed run to onError and runs again at the next due time', async () => {
    const errors: Array<[string, ErrorContext]> = []
    const t = await fixture.start({
      onError: (error, context) => errors.push([(error as Error).message, context]),
    })
    let run = 0
    t.server.schedule(
      '* * * * * *',
      'flaky',
      () => {
        run++
        if (run === 1) throw new Error('the upstream is down')
        if (run === 2) return { kind: 'NOT A KIND' }
        return { kind: 'set', data: run }
      },
      { name: 'flaky' },
    )
    await vi.advanceTimersByTimeAsync(1_500) // :01 and :02
    expect(errors).toEqual([
      ['the upstream is down', { operation: 'schedule:flaky', topic: 'flaky' }],
      [
        'publish: kind must be a lowercase word such as "created"',
        { operation: 'schedule:flaky', topic: 'flaky' },
      ],
    ])
    await vi.advanceTimersByTimeAsync(1_000) // :03 publishes
    expect(t.server.stats().schedules[0]).toMatchObject({
      runs: 3,
      failures: 2,
      lastError: 'publish: kind must be a lowercase word such as "created"',
    })
    expect(t.server.stats().eventsPublished).toBe(1)
  })

  it('stops on close: the run in progress sees its signal aborted and is awaited, no run follows', async () => {
    const t = await fixture.start()
    const seen: string[] = []
    t.server.schedule('* * * * * *', 'slow', async ({ signal }) => {
      seen.push('started')
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()))
      seen.push('aborted')
      return { kind: 'set', data: 'last words' }
    })
    await vi.advanceTimersByTimeAsync(500)
    const closed = t.close()
    await closed
    expect(seen).toEqual(['started', 'aborted'])
    // Published while stopping, before the engine closed.
    expect(t.server.stats()).toMatchObject({ eventsPublished: 1 })
    expect(t.server.stats().schedules[0]).toMatchObject({ state: 'stopped', nextRunAt: null })
    await vi.advanceTimersByTimeAsync(10_000)
    expect(seen).toEqual(['started', 'aborted'])
  })

  it('stopping one schedule frees its name; the schedules option arms them at creation', async () => {
    const runs: string[] = []
    const t = await fixture.start({
      schedules: [{ name: 'a', cron: '* * * * * *', topic: 'a', run: () => void runs.push('a') }],
    })
    const b = t.server.schedule('* * * * * *', 'b', () => void runs.push('b'), { name: 'b' })
    await vi.advanceTimersByTimeAsync(500)
    await b.stop()
    expect(b.nextRun()).toBeNull()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(runs).toEqual(['a', 'b', 'a'])
    expect(t.server.stats().schedules.map((s) => s.name)).toEqual(['a'])
    expect(t.server.schedule('0 0 * * *', 'b', () => null, { name: 'b' }).name).toBe('b')
  })

  it('refuses a bad expression, time zone or topic, a taken name, and a closing server', async () => {
    const t = await fixture.start()
    const attempt = (...args: Parameters<typeof t.server.schedule>) => {
      try {
        t.server.schedule(...args)
        return 'scheduled'
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`
      }
    }
    const run = () => null
    expect(attempt('61 * * * *', 'x', run)).toBe(
      'TypeError: schedule "x 61 * * * *": "61 * * * *" is not a usable cron expression: CronPattern: Invalid value for minute: 61',
    )
    expect(attempt('0 9 * * *', 'x', run, { name: 'tz', timezone: 'Mars/Base' })).toMatch(
      /^TypeError: schedule "tz": "0 9 \* \* \*" in Mars\/Base is not a usable cron expression: /,
    )
    expect(attempt('0 9 * * *', 'not a topic', run, { name: 'bad' })).toBe(
      'TypeError: schedule "bad": "not a topic" is not a valid topic name',
    )
    expect(attempt('0 9 * * *', 'x', run, { name: 'daily' })).toBe('scheduled')
    expect(attempt('0 10 * * *', 'y', run, { name: 'daily' })).toBe(
      'TypeError: schedule "daily" already exists: give each schedule its own name',
    )
    const closing = t.close()
    expect(attempt('0 9 * * *', 'x', run, { name: 'late' })).toBe(
      'ServerError: schedule late: the server is closing',
    )
    await closing
    expect(() => t.server.schedule('0 9 * * *', 'x', run)).toThrow(ServerError)
  })

  it('appends one event per due time when two nodes run the same schedule', async () => {
    const engine = createMemoryEngine()
    const nodes = [1, 2].map((node) =>
      createSluiceServer({
        engine,
        logger: false,
        schedules: [
          {
            name: 'rollup',
            cron: '*/5 * * * * *',
            topic: 'rollup',
            run: () => ({ kind: 'set', data: node }),
          },
        ],
      }),
    )
    await vi.advanceTimersByTimeAsync(10_000)
    const head = engine.head('rollup')
    const read = engine.readAfter('rollup', { epoch: head.epoch, seq: 0 })
    expect(read.ok && read.events.map((event) => [event.publishId, event.data])).toEqual([
      ['rollup@2030-01-01T00:00:05.000Z', 1],
      ['rollup@2030-01-01T00:00:10.000Z', 1],
    ])
    expect(nodes.map((node) => node.stats().schedules[0]?.runs)).toEqual([2, 2])
    await Promise.all(nodes.map((node) => node.close({ retryAfterMs: 0 })))
  })
})
