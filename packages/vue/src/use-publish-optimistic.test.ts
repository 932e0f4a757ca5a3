import { ClientError, latest, type SluiceClient } from '@sluice/client'
import { afterEach, describe, expect, it } from 'vitest'
import { type EffectScope, effectScope } from 'vue'
import { closeAll, connect, startServer, until } from '../test/real-server'
import { usePublish } from './use-publish'
import { useRealtime } from './use-realtime'

// usePublish's `optimistic` option against the real server: the event shows in the store a
// useRealtime with the same strategy holds, before the server has it. `latest` keeps every
// event it is given, so a copy that failed to replace the optimistic one would show twice.

interface Todo {
  id: string
  title: string
}

const todosMerge = latest<Todo>()
let scope: EffectScope | undefined

afterEach(async () => {
  scope?.stop()
  scope = undefined
  await closeAll()
})

async function todos(client: SluiceClient) {
  scope = effectScope()
  const { state, publisher } = scope.run(() => ({
    state: useRealtime(client, 'todos', { merge: todosMerge }),
    publisher: usePublish(client, 'todos'),
  }))!
  await until(
    () => state.value.status,
    (status) => status === 'live',
    'the subscription live',
  )
  const titles = () => state.value.data.map((todo) => todo.title)
  return { state, publisher, titles }
}

const mine = { kind: 'created', key: 'a', data: { id: 'a', title: 'Mine' } }

describe('usePublish with optimistic', () => {
  it('shows the event at once, then the server copy replaces it: one item, at the publish position', async () => {
    const server = await startServer({ authorize: () => true })
    const { state, publisher, titles } = await todos(connect(server))

    const published = publisher.publish(mine, { optimistic: { merge: todosMerge } })
    expect(titles()).toEqual(['Mine'])
    expect(state.value.position).toBe(null)
    expect(publisher.isPending.value).toBe(true)

    const ack = await published
    expect(ack).toEqual({ epoch: expect.any(String), seq: 1, duplicate: false })
    const confirmed = await until(
      () => state.value,
      (value) => value.position?.seq === 1,
      'the server copy of the publish',
    )
    expect(confirmed.data).toEqual([{ id: 'a', title: 'Mine' }])
    expect([publisher.isPending.value, publisher.error.value, publisher.data.value]).toEqual([
      false,
      null,
      ack,
    ])

    // A second one after it: still each event once, in publish order.
    await publisher.publish(
      { kind: 'created', key: 'b', data: { id: 'b', title: 'Next' } },
      { optimistic: { merge: todosMerge } },
    )
    await until(
      () => state.value.position?.seq,
      (seq) => seq === 2,
      'the second copy',
    )
    expect(titles()).toEqual(['Mine', 'Next'])
  })

  it('rolls the event back when the server refuses the publish, with FORBIDDEN in error', async () => {
    // No authorize and no rules: a client publish is refused (secure by default).
    const server = await startServer()
    const { state, publisher, titles } = await todos(connect(server))

    const published = publisher.publish(mine, { optimistic: { merge: todosMerge }, id: 'p-refused' })
    expect(titles()).toEqual(['Mine'])

    expect(await published).toBe(undefined)
    expect(titles()).toEqual([])
    expect(publisher.error.value).toBeInstanceOf(ClientError)
    expect((publisher.error.value as ClientError).code).toBe('FORBIDDEN')
    expect(publisher.error.value?.message).toMatch(/^publish p-refused to todos: /)
    expect([publisher.isPending.value, publisher.data.value]).toEqual([false, undefined])
    expect(state.value.position).toBe(null)
  })

  it('without optimistic the store waits for the server copy', async () => {
    const server = await startServer({ authorize: () => true })
    const { state, publisher, titles } = await todos(connect(server))
    const published = publisher.publish(mine)
    expect(titles()).toEqual([])
    await published
    await until(
      () => state.value.position?.seq,
      (seq) => seq === 1,
      'the server copy',
    )
    expect(titles()).toEqual(['Mine'])
  })
})
