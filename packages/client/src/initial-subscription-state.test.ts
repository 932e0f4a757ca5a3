import { describe, expect, test } from 'vitest'
import { initialSubscriptionState } from './initial-subscription-state'
import { latest } from './merge/latest'

describe('initialSubscriptionState', () => {
  test("without initialData: the strategy's empty state, idle, no position", () => {
    expect(initialSubscriptionState({ merge: latest<number>({ size: 2 }) })).toEqual({
      data: [],
      status: 'idle',
      error: null,
      stale: null,
      position: null,
    })
  })

  test('with initialData: that data at initialPosition, as the store starts', () => {
    const position = { epoch: 'e1', seq: 4 }
    expect(
      initialSubscriptionState({
        merge: latest<number>({ size: 2 }),
        initialData: [3, 4],
        initialPosition: position,
      }),
    ).toEqual({ data: [3, 4], status: 'idle', error: null, stale: null, position })
  })
})
