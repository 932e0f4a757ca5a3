import { describe, expect, it } from 'vitest'
import { ClientError } from './client-error'
import type { SubscriptionState, SubscriptionStatus } from './store/types'
import { shouldThrow, subscriptionError, subscriptionResult } from './subscription-result'

const state = (
  status: SubscriptionStatus,
  patch: Partial<SubscriptionState<string[]>> = {},
): SubscriptionState<string[]> => ({
  data: ['a'],
  status,
  error: null,
  stale: null,
  position: null,
  ...patch,
})

const actions = {
  resync: () => true,
  refetch: () => Promise.reject(new Error('not called in these tests')),
}

describe('subscriptionResult', () => {
  it('sets exactly the flag of each non-idle status, and none while idle', () => {
    const flags = (['idle', 'connecting', 'live', 'resyncing', 'error'] as const).map((status) => {
      const { isConnecting, isLive, isResyncing, isError } = subscriptionResult(state(status), actions)
      return [status, isConnecting, isLive, isResyncing, isError]
    })
    expect(flags).toEqual([
      ['idle', false, false, false, false],
      ['connecting', true, false, false, false],
      ['live', false, true, false, false],
      ['resyncing', false, false, true, false],
      ['error', false, false, false, true],
    ])
  })

  it('keeps the state as it is, flags stale data on its own axis and carries the actions', () => {
    const position = { epoch: 'e1', seq: 7 }
    const result = subscriptionResult(state('live', { stale: 'too_old', position }), actions)
    expect(result).toEqual({
      data: ['a'],
      status: 'live',
      error: null,
      stale: 'too_old',
      position,
      isConnecting: false,
      isLive: true,
      isResyncing: false,
      isError: false,
      isStale: true,
      resync: actions.resync,
      refetch: actions.refetch,
    })
    expect(subscriptionResult(state('live'), actions).isStale).toBe(false)
  })
})

describe('subscriptionError', () => {
  it("is the store's error as a ClientError naming the topic", () => {
    const error = subscriptionError(
      state('error', { error: { code: 'FORBIDDEN', message: 'not yours' } }),
      'todos',
    )
    expect(error).toBeInstanceOf(ClientError)
    expect([error?.code, error?.message, error?.topic]).toEqual([
      'FORBIDDEN',
      'subscribe todos: not yours',
      'todos',
    ])
  })

  it('is null when the state has no error', () => {
    expect(subscriptionError(state('live'), 'todos')).toBe(null)
  })
})

describe('shouldThrow', () => {
  const forbidden = new ClientError('FORBIDDEN', 'subscribe todos: not yours', { topic: 'todos' })
  const internal = new ClientError('INTERNAL', 'subscribe todos: loader failed', { topic: 'todos' })

  it('throws every error for true, none for false or undefined', () => {
    expect([
      shouldThrow(true, forbidden),
      shouldThrow(false, forbidden),
      shouldThrow(undefined, forbidden),
    ]).toEqual([true, false, false])
  })

  it('lets a function decide per error, with that error', () => {
    const seen: string[] = []
    const onlyForbidden = (error: ClientError) => {
      seen.push(error.code)
      return error.code === 'FORBIDDEN'
    }
    expect([shouldThrow(onlyForbidden, forbidden), shouldThrow(onlyForbidden, internal)]).toEqual([
      true,
      false,
    ])
    expect(seen).toEqual(['FORBIDDEN', 'INTERNAL'])
  })
})
