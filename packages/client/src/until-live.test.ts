import { describe, expect, it } from 'vitest'
import { ClientError } from './client-error'
import { latest } from './merge/latest'
import { createSubscriptionStore } from './store/subscription-store'
import type { SubscriptionState } from './store/types'
import { untilLive } from './until-live'

// A real store, written as the connection layer writes it; status changes notify at once.
function store() {
  return createSubscriptionStore({
    merge: latest<number>({ size: 3 }),
    scheduler: { schedule: (flush) => queueMicrotask(flush) },
    topic: 'todos',
  })
}

const view = (state: SubscriptionState<readonly number[]>) => `${state.status} ${state.data.join(',')}`

async function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => ['resolved', value],
    (error: ClientError) => ['rejected', error.code, error.message, error.topic],
  )
}

describe('untilLive', () => {
  it('resolves with the view of the first live state, and stops listening', async () => {
    const subscription = store()
    subscription.setStatus('resyncing')
    const waiting = new Set<(error: ClientError) => void>()
    const wait = untilLive(subscription, { topic: 'todos', subject: 'refetch todos', view, waiting })
    expect(waiting.size).toBe(1)
    subscription.setStatus('connecting')
    subscription.setStatus('live')
    expect(await outcome(wait)).toEqual(['resolved', 'live '])
    expect(waiting.size).toBe(0)
    expect(subscription.$state.lc).toBe(0)
  })

  it('resolves at once when the store is live already', async () => {
    const subscription = store()
    subscription.setStatus('live')
    const waiting = new Set<(error: ClientError) => void>()
    const wait = untilLive(subscription, { topic: 'todos', subject: 'refetch todos', view, waiting })
    expect([waiting.size, subscription.$state.lc]).toEqual([0, 0])
    expect(await outcome(wait)).toEqual(['resolved', 'live '])
  })

  it("rejects with the store's error as a ClientError naming the topic", async () => {
    const subscription = store()
    subscription.setStatus('connecting')
    const waiting = new Set<(error: ClientError) => void>()
    const wait = untilLive(subscription, { topic: 'todos', subject: 'refetch todos', view, waiting })
    subscription.setStatus('error', { code: 'FORBIDDEN', message: 'not yours' })
    expect(await outcome(wait)).toEqual(['rejected', 'FORBIDDEN', 'subscribe todos: not yours', 'todos'])
    expect([waiting.size, subscription.$state.lc]).toEqual([0, 0])
  })

  it('rejects with CLOSED, named by the subject, when the store turns idle', async () => {
    const subscription = store()
    subscription.setStatus('connecting')
    const wait = untilLive(subscription, { topic: 'todos', subject: 'useRealtime todos', view })
    subscription.setStatus('idle')
    expect(await outcome(wait)).toEqual([
      'rejected',
      'CLOSED',
      'useRealtime todos: the client was closed',
      'todos',
    ])
  })

  it('rejects with what the binding calls its rejecter with, and stops listening', async () => {
    const subscription = store()
    subscription.setStatus('resyncing')
    const waiting = new Set<(error: ClientError) => void>()
    const wait = untilLive(subscription, { topic: 'todos', subject: 'refetch todos', view, waiting })
    const ended = new ClientError('CLOSED', 'refetch todos: the component unsubscribed', { topic: 'todos' })
    for (const fail of [...waiting]) fail(ended)
    expect(await outcome(wait)).toEqual([
      'rejected',
      'CLOSED',
      'refetch todos: the component unsubscribed',
      'todos',
    ])
    expect([waiting.size, subscription.$state.lc]).toEqual([0, 0])
    // Settled once: a later live state resolves nothing.
    subscription.setStatus('live')
    expect(await outcome(wait)).toEqual([
      'rejected',
      'CLOSED',
      'refetch todos: the component unsubscribed',
      'todos',
    ])
  })
})
