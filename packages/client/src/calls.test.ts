import type { ClientFrame } from '@sluice/protocol'
import { afterEach, expect, it, vi } from 'vitest'
import { createAwaitedAnswers } from './awaited-answers'
import { createCalls } from './calls'
import { defaultTimers, unlimitedTimers } from './timers'

// The time limits of a call: without `queue`, one timeout from the call; with `queue`, an age
// limit while it waits for a connection (STALE), then the timeout from the send.
afterEach(() => {
  vi.useRealTimers()
})

function setup() {
  vi.useFakeTimers()
  const timers = unlimitedTimers(defaultTimers)
  const answers = createAwaitedAnswers(timers)
  const sent: ClientFrame[] = []
  let open = false
  const call = createCalls({
    answers,
    connection: {
      send: (frame: ClientFrame) => {
        sent.push(frame)
      },
      isOpen: () => open,
    },
    nextId: (() => {
      let n = 0
      return () => `c${++n}`
    })(),
    timers,
    timeoutMs: 1_000,
    queueMaxAgeMs: 5_000,
  })
  const outcomes: string[] = []
  const track = (label: string, promise: Promise<unknown>) =>
    promise.then(
      (result) => outcomes.push(`${label} ok ${JSON.stringify(result)}`),
      (error) => outcomes.push(`${label} ${error.code}: ${error.message}`),
    )
  const connect = () => {
    open = true
    answers.opened()
  }
  return { call, sent, outcomes, track, connect, answers }
}

it('a queued call waits past the call timeout, and its timeout starts when it is sent', async () => {
  const { call, sent, outcomes, track, connect } = setup()
  track('queued', call('add', [1], { queue: true }))
  await vi.advanceTimersByTimeAsync(4_000)
  expect(outcomes).toEqual([])
  connect()
  expect(sent).toEqual([{ type: 'call', id: 'c1', name: 'add', args: [1] }])
  await vi.advanceTimersByTimeAsync(999)
  expect(outcomes).toEqual([])
  await vi.advanceTimersByTimeAsync(1)
  expect(outcomes).toEqual(['queued TIMEOUT: call add: no result in 1000 ms'])
})

it('a queued call not sent within its age limit is STALE and never sent; an unqueued one times out from the call', async () => {
  const { call, sent, outcomes, track, connect } = setup()
  track('queued', call('add', [1], { queue: true }))
  track('unqueued', call('add', [2]))
  await vi.advanceTimersByTimeAsync(1_000)
  expect(outcomes).toEqual(['unqueued TIMEOUT: call add: no result in 1000 ms'])
  await vi.advanceTimersByTimeAsync(4_000)
  expect(outcomes).toEqual([
    'unqueued TIMEOUT: call add: no result in 1000 ms',
    'queued STALE: call add: not sent in 5000 ms',
  ])
  connect()
  expect(sent).toEqual([])
})

it('a queued call made while connected is sent at once with the call timeout', async () => {
  const { call, sent, outcomes, track, connect, answers } = setup()
  connect()
  track('queued', call('add', [1], { queue: true }))
  expect(sent).toEqual([{ type: 'call', id: 'c1', name: 'add', args: [1] }])
  answers.answer({ type: 'result', id: 'c1', result: 2 })
  await vi.advanceTimersByTimeAsync(0)
  expect(outcomes).toEqual(['queued ok 2'])
})
