import { describe, expect, test } from 'vitest'
import { crud } from './merge/crud'
import { presence } from './merge/presence'
import { created, createFakeClient } from './testing'

describe('createFakeClient', () => {
  test('shares one store per topic and filter, reference counted', () => {
    const fake = createFakeClient()
    const a = fake.client.subscribe('todos', { merge: crud() })
    const b = fake.client.subscribe('todos', { merge: crud() })
    expect(a.$state).toBe(b.$state)
    expect(fake.refs('todos')).toBe(2)
    a.unsubscribe()
    a.unsubscribe()
    expect(fake.refs('todos')).toBe(1)
    b.unsubscribe()
    expect(fake.refs('todos')).toBe(0)
    expect(fake.calls).toEqual({ subscribe: 2, unsubscribe: 2 })
    expect(() => fake.sink('todos')).toThrow('nobody is subscribed to todos')
  })

  test('keeps a presence store apart from the event store of the same topic', async () => {
    const fake = createFakeClient()
    const messages = fake.client.subscribe('room', { merge: crud() })
    const members = fake.client.subscribe('room', { merge: presence(), presence: true })
    expect(members.$state).not.toBe(messages.$state)
    fake.sink('room').pushEvents([created('room', { id: 'm1', text: 'hi' })])
    fake.sink('room', undefined, true).setSnapshot([{ connectionId: 'c1', identity: 'ann' }], null)
    await Promise.resolve()
    expect(messages.$state.get().data.items).toEqual([{ id: 'm1', text: 'hi' }])
    expect(members.$state.get().data.items).toEqual([{ connectionId: 'c1', identity: 'ann' }])
  })

  test('an optimistic event shows on the store until its rollback; setConnection patches $connection', async () => {
    const fake = createFakeClient()
    const todos = fake.client.subscribe('todos', { merge: crud() })
    const rollback = todos.optimistic({ kind: 'created', key: 'draft', data: { id: 'draft', title: 'mine' } })
    await Promise.resolve()
    expect(todos.$state.get().data.items).toEqual([{ id: 'draft', title: 'mine' }])
    rollback()
    await Promise.resolve()
    expect(todos.$state.get().data.items).toEqual([])
    fake.setConnection({ status: 'open', transport: 'sse' })
    expect(fake.client.$connection.get()).toEqual({
      status: 'open',
      transport: 'sse',
      connectionId: null,
      attempt: 0,
      nextRetryAt: null,
      error: null,
    })
  })
})
