/**
 * The history check itself, on hand-made histories: it must pass a correct one and name each
 * kind of broken one (loss, duplicate, reordering, epoch change without resync, acknowledged
 * event dropped without cover, wrong event at a position), or the restart tests prove nothing.
 */
import { describe, expect, test } from 'vitest'
import { checkHistory, type TopicTruth } from './support/history-check'
import type { HistoryEntry } from './support/recorded-store'

// Two server lives: epoch A (p1..p4 acknowledged), then B (p5 lost its ack in A and landed
// again as B:1, p6 and p7 acknowledged).
function truth(): TopicTruth {
  const acked = new Map([
    ['A:1', 'p1'],
    ['A:2', 'p2'],
    ['A:3', 'p3'],
    ['A:4', 'p4'],
    ['B:1', 'p5'],
    ['B:2', 'p6'],
    ['B:3', 'p7'],
  ])
  return {
    epochs: ['A', 'B'],
    acked,
    ackedAt: new Map([...acked].map(([position, id]) => [id, position])),
    sent: new Set(['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']),
  }
}

const load = (epoch: string, seq: number): HistoryEntry => ({ type: 'load', epoch, seq })
const event = (epoch: string, seq: number, id: string): HistoryEntry => ({ type: 'event', epoch, seq, id })
const resync: HistoryEntry = { type: 'resync', reason: 'epoch_changed' }
const check = (entries: HistoryEntry[]) => checkHistory({ name: 's', topic: 't', entries }, truth())

// A:4 (acknowledged, then lost with the log) and B:1 (before the resubscribe) are covered.
const restartHistory = [
  load('A', 0),
  event('A', 1, 'p1'),
  event('A', 2, 'p2'),
  event('A', 3, 'p3'),
  resync,
  load('B', 1),
  event('B', 2, 'p6'),
  event('B', 3, 'p7'),
]

describe('checkHistory', () => {
  test('accepts a restart covered by a resync and reload', () => {
    expect(check(restartHistory)).toEqual({
      violations: [],
      delivered: 5,
      resyncs: ['epoch_changed'],
      loadEpochs: ['A', 'B'],
      covered: 2,
      reappended: 0,
    })
  })

  test('accepts a publish applied once in each epoch, with the resync between, as reappended', () => {
    const truthWithLostAck = truth()
    truthWithLostAck.acked.delete('A:4')
    const entries = [
      load('A', 3),
      event('A', 4, 'p5'),
      resync,
      load('B', 0),
      event('B', 1, 'p5'),
      event('B', 2, 'p6'),
      event('B', 3, 'p7'),
    ]
    expect(checkHistory({ name: 's', topic: 't', entries }, truthWithLostAck)).toMatchObject({
      violations: [],
      reappended: 1,
      covered: 3,
    })
  })

  test('names a skipped event', () => {
    expect(
      check([
        load('A', 0),
        event('A', 1, 'p1'),
        event('A', 3, 'p3'),
        event('A', 4, 'p4'),
        resync,
        load('B', 3),
      ]).violations,
    ).toEqual([
      's entry 2: lost A:2..2: skipped without a resync',
      's: A:2 (p2) was acknowledged, never applied, and no resync covers it',
    ])
  })

  test('names a repeated and a reordered event', () => {
    const repeated = [
      load('A', 0),
      event('A', 1, 'p1'),
      event('A', 1, 'p1'),
      event('A', 2, 'p2'),
      resync,
      load('B', 3),
    ]
    expect(check(repeated).violations).toEqual([
      's entry 2: A:1 repeated or out of order after A:1',
      's entry 2: p1 applied twice (again at A:1)',
    ])
    expect(check([load('A', 0), event('A', 2, 'p2'), event('A', 1, 'p1')]).violations.slice(0, 2)).toEqual([
      's entry 1: lost A:1..1: skipped without a resync',
      's entry 2: A:1 repeated or out of order after A:2',
    ])
  })

  test('names a change of epoch without a resync, and a reload without one', () => {
    expect(
      check([
        load('A', 3),
        event('A', 4, 'p4'),
        event('B', 1, 'p5'),
        event('B', 2, 'p6'),
        event('B', 3, 'p7'),
      ]).violations,
    ).toEqual(['s entry 2: B:1 applied at A:4 without a resync'])
    expect(check([load('A', 4), load('B', 3)]).violations).toEqual([
      's entry 1: reloaded at B:3 without a resync',
    ])
  })

  test('names an acknowledged event dropped at the end, where no resync follows', () => {
    expect(check(restartHistory.slice(0, -1)).violations).toEqual([
      's: B:3 (p7) was acknowledged, never applied, and no resync covers it',
    ])
  })

  test('names an event other than the one acknowledged at its position, and one nobody published', () => {
    expect(check([load('A', 0), event('A', 1, 'p2')]).violations[0]).toBe(
      's entry 1: A:1 is p2, but the server acknowledged p1 there',
    )
    expect(check([load('A', 4), resync, load('B', 3), event('B', 4, 'x9')]).violations).toEqual([
      's entry 3: B:4 is x9, which nobody published',
    ])
  })

  test('names a publish appended twice in one epoch, and a reload that goes back', () => {
    const lostAcks = truth()
    lostAcks.acked.delete('A:3')
    lostAcks.acked.delete('A:4')
    lostAcks.sent.add('p8')
    const twice = [load('A', 2), event('A', 3, 'p8'), event('A', 4, 'p8'), resync, load('B', 3)]
    expect(checkHistory({ name: 's', topic: 't', entries: twice }, lostAcks).violations).toEqual([
      's entry 2: p8 landed at A:4 and at A:3: appended twice in one epoch',
      's entry 2: p8 applied twice (again at A:4)',
    ])
    expect(check([load('B', 3), resync, load('A', 4)]).violations).toEqual([
      's entry 2: went back from B:3 to A:4',
    ])
  })
})
