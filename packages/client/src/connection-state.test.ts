import { describe, expect, test } from 'vitest'
import { canTransition, createConnectionState, type Transition } from './connection-state'

describe('connection state machine', () => {
  test('goes through the table and tells listeners {from, to, reason}', () => {
    const machine = createConnectionState()
    const seen: Transition[] = []
    machine.onTransition((change) => seen.push(change))
    expect(machine.transition('connecting', 'start')).toBe(true)
    expect(machine.transition('open', 'welcome', { transport: 'ws' })).toBe(true)
    expect(machine.transition('connecting', 'nope')).toBe(false)
    expect(machine.transition('reconnecting', 'dropped', { attempt: 1 })).toBe(true)
    expect(seen).toEqual([
      { from: 'idle', to: 'connecting', reason: 'start' },
      { from: 'connecting', to: 'open', reason: 'welcome' },
      { from: 'open', to: 'reconnecting', reason: 'dropped' },
    ])
    expect(machine.$state.get()).toEqual({
      status: 'reconnecting',
      transport: 'ws',
      connectionId: null,
      attempt: 1,
      nextRetryAt: null,
      error: null,
    })
  })

  test('closed is final', () => {
    for (const to of ['idle', 'connecting', 'open', 'reconnecting', 'offline', 'closed'] as const) {
      expect(canTransition('closed', to)).toBe(false)
    }
  })

  test('patch keeps the status', () => {
    const machine = createConnectionState()
    machine.patch({ transport: 'sse' })
    expect(machine.$state.get()).toMatchObject({ status: 'idle', transport: 'sse' })
  })
})
