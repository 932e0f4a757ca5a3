import type { EventFrame } from '@sluice/protocol'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createTopicPosition } from './topic-position'

const ev = (seq: number, epoch = 'e1'): EventFrame => ({
  type: 'event',
  topic: 't',
  epoch,
  seq,
  kind: 'x',
  ts: 0,
})

describe('the client dedup rule', () => {
  test('replays that overlap and repeat in any way still accept every event once, in order', () => {
    // Each delivery run replays from some earlier point (never past what was delivered + 1).
    const runs = fc.array(fc.tuple(fc.nat(20), fc.integer({ min: 1, max: 30 })), {
      minLength: 1,
      maxLength: 30,
    })
    fc.assert(
      fc.property(runs, (shape) => {
        const position = createTopicPosition()
        position.set({ epoch: 'e1', seq: 0 })
        const accepted: number[] = []
        let head = 0
        for (const [back, length] of shape) {
          const from = Math.max(1, head + 1 - back)
          for (let seq = from; seq < from + length; seq++) {
            if (position.accept(ev(seq)) === 'new') accepted.push(seq)
          }
          head = Math.max(head, from + length - 1)
        }
        expect(accepted).toEqual(Array.from({ length: head }, (_, i) => i + 1))
        // The position reached is where the next subscribe resumes.
        expect(position.get()).toEqual({ epoch: 'e1', seq: head })
      }),
    )
  })

  test('gaps in seq are not losses: a filtered stream accepts 2, 5, 9 and drops a later 5', () => {
    const position = createTopicPosition()
    expect([2, 5, 9, 5, 9, 10].map((seq) => position.accept(ev(seq)))).toEqual([
      'new',
      'new',
      'new',
      'seen',
      'seen',
      'new',
    ])
  })

  test('an event of another epoch is foreign and leaves the position where it was', () => {
    const position = createTopicPosition()
    position.set({ epoch: 'e1', seq: 7 })
    expect(position.accept(ev(1, 'e2'))).toBe('foreign')
    expect(position.accept(ev(9, 'e2'))).toBe('foreign')
    expect(position.get()).toEqual({ epoch: 'e1', seq: 7 })
  })

  test('without a position the first event is new and sets it; set() copies only epoch and seq', () => {
    const position = createTopicPosition()
    expect(position.accept(ev(4, 'e3'))).toBe('new')
    expect(position.get()).toEqual({ epoch: 'e3', seq: 4 })
    position.set(ev(6, 'e3'))
    expect(position.get()).toEqual({ epoch: 'e3', seq: 6 })
    position.set(null)
    expect(position.get()).toBeNull()
  })
})
