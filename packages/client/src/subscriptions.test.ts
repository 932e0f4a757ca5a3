import type { ClientFrame, EventFrame, Json, Position } from '@sluice/protocol'
import fc from 'fast-check'
import { atom } from 'nanostores'
import { describe, expect, test } from 'vitest'
import type { SubscriptionStore } from './store/subscription-store'
import type { SubscriptionState } from './store/types'
import { createSubscriptions, type StoreFactory } from './subscriptions'
import { defaultTimers } from './timers'

// A store that records exactly what the subscriptions layer writes into it.
function recordingStore() {
  const pushed: number[] = []
  const $state = atom<SubscriptionState<null>>({ data: null, status: 'idle', error: null, position: null })
  const store: SubscriptionStore<null> = {
    $state,
    pushEvents: (events) => pushed.push(...events.map((e) => e.seq)),
    setSnapshot: (_data: Json, _position: Position | null) => {},
    setStatus: (status, error = null) => $state.set({ ...$state.get(), status, error }),
    optimistic: () => () => {},
    reset: () => {},
  }
  return { store, pushed }
}

const ev = (seq: number, epoch = 'e1'): EventFrame => ({
  type: 'event',
  topic: 't',
  epoch,
  seq,
  kind: 'x',
  ts: 0,
})

describe('dedup (property)', () => {
  test('replays that overlap and repeat in any way still deliver every event once, in order', () => {
    // Each delivery run replays from some earlier point (never past what was delivered + 1).
    const runs = fc.array(fc.tuple(fc.nat(20), fc.integer({ min: 1, max: 30 })), {
      minLength: 1,
      maxLength: 30,
    })
    fc.assert(
      fc.property(runs, (shape) => {
        const { store, pushed } = recordingStore()
        const sent: ClientFrame[] = []
        const subs = createSubscriptions({
          send: (frame) => sent.push(frame),
          isOpen: () => true,
          nextId: () => 'id',
          createStore: (() => store) as unknown as StoreFactory,
          demand: () => {},
          timers: defaultTimers,
        })
        subs.subscribe('t', { merge: { initial: () => null, apply: (s) => s } })
        subs.handle({ type: 'subscribed', topic: 't', epoch: 'e1', seq: 0 })
        let head = 0
        for (const [back, length] of shape) {
          const from = Math.max(1, head + 1 - back)
          for (let seq = from; seq < from + length; seq++) subs.handle(ev(seq))
          head = Math.max(head, from + length - 1)
        }
        expect(pushed).toEqual(Array.from({ length: head }, (_, i) => i + 1))
        // The position reached is where the next connection resumes.
        subs.onOpen()
        expect(sent.at(-1)).toEqual({
          type: 'subscribe',
          id: 'id',
          topic: 't',
          from: { epoch: 'e1', seq: head },
        })
      }),
    )
  })

  test('a new epoch is not compared with the old one', () => {
    const { store, pushed } = recordingStore()
    const subs = createSubscriptions({
      send: () => {},
      isOpen: () => true,
      nextId: () => 'id',
      createStore: (() => store) as unknown as StoreFactory,
      demand: () => {},
      timers: defaultTimers,
    })
    subs.subscribe('t', { merge: { initial: () => null, apply: (s) => s } })
    subs.handle({ type: 'subscribed', topic: 't', epoch: 'e1', seq: 0 })
    for (const frame of [ev(1), ev(2), ev(1, 'e2'), ev(2, 'e2'), ev(2, 'e2')]) subs.handle(frame)
    expect(pushed).toEqual([1, 2, 1, 2])
  })
})
