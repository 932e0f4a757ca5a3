import type { Filter } from '@sluice/protocol'
import { describe, expect, it } from 'vitest'
import { ClientError } from './client-error'
import { crud } from './merge/crud'
import { type OptimisticPublishClient, optimisticPublish, publishId } from './optimistic-publish'
import type { PublishEvent, PublishOptions, PublishResult } from './publish'
import { createFakeClient } from './testing'

interface Todo {
  id: string
  title: string
}

const merge = crud<Todo>()
const event: PublishEvent = { kind: 'created', key: 't1', data: { id: 't1', title: 'Bread' } }
const ack: PublishResult = { epoch: 'e1', seq: 1, duplicate: false }

/** Real stores (the fake client's), and publishes that wait until the test settles them. */
function publishClient() {
  const fake = createFakeClient()
  const sent: {
    args: [string, PublishEvent<unknown>, PublishOptions | undefined]
    resolve: (result: PublishResult) => void
    reject: (error: Error) => void
  }[] = []
  const client: OptimisticPublishClient = {
    subscribe: fake.client.subscribe,
    publish: (topic, published, options) =>
      new Promise((resolve, reject) => {
        sent.push({ args: [topic, published, options], resolve, reject })
      }),
  }
  // What a useRealtime with the same topic and strategy renders.
  const shown = fake.client.subscribe('todos', { merge })
  const titles = () => shown.$state.get().data.items.map((todo) => todo.title)
  return { fake, client, sent, titles }
}

describe('publishId', () => {
  it('is p- and 24 hex digits, another each time', () => {
    const ids = [publishId(), publishId()]
    expect(ids.map((id) => /^p-[0-9a-f]{24}$/.test(id))).toEqual([true, true])
    expect(ids[0]).not.toBe(ids[1])
  })
})

describe('optimisticPublish', () => {
  it('without optimistic: publishes with the options as given and joins no store', async () => {
    const { fake, client, sent } = publishClient()
    const published = optimisticPublish(client, 'todos', event, { echo: false })
    const bare = optimisticPublish(client, 'todos', event)
    expect(sent.map(({ args }) => args)).toEqual([
      ['todos', event, { echo: false }],
      ['todos', event, undefined],
    ])
    expect(fake.calls).toEqual({ subscribe: 1, unsubscribe: 0 })
    sent[0]?.resolve(ack)
    sent[1]?.resolve({ ...ack, seq: 2 })
    expect([await published, await bare]).toEqual([ack, { ...ack, seq: 2 }])
  })

  it("shows the event at once under the publish's id, until the ack; then leaves the store", async () => {
    const { fake, client, sent, titles } = publishClient()
    const published = optimisticPublish(client, 'todos', event, { optimistic: { merge }, timeoutMs: 500 })
    expect(titles()).toEqual(['Bread'])
    expect(fake.refs('todos')).toBe(2)
    const id = sent[0]?.args[2]?.id
    expect(id).toMatch(/^p-[0-9a-f]{24}$/)
    expect(sent.map(({ args }) => args)).toEqual([['todos', event, { timeoutMs: 500, id }]])
    sent[0]?.resolve(ack)
    expect(await published).toEqual(ack)
    expect(fake.calls).toEqual({ subscribe: 2, unsubscribe: 1 })
    // Until the server's copy (same publishId) arrives, the optimistic event stays in the store.
    expect(titles()).toEqual(['Bread'])
  })

  it('keeps an id the caller gave, and joins the store of the filter given', async () => {
    const { fake, client, sent, titles } = publishClient()
    const home: Filter = { field: 'list', equals: 'home' }
    const shownFiltered = fake.client.subscribe('todos', { merge, filter: home })
    const published = optimisticPublish(client, 'todos', event, {
      id: 'mine',
      optimistic: { merge, filter: home },
    })
    expect(shownFiltered.$state.get().data.items.map((todo) => todo.title)).toEqual(['Bread'])
    expect(titles()).toEqual([])
    expect(sent.map(({ args }) => args)).toEqual([['todos', event, { id: 'mine' }]])
    sent[0]?.resolve(ack)
    await published
    expect(fake.refs('todos', home)).toBe(1)
  })

  it('rolls the event back and rejects with the error when the publish fails', async () => {
    const { fake, client, sent, titles } = publishClient()
    const published = optimisticPublish(client, 'todos', event, { optimistic: { merge } })
    expect(titles()).toEqual(['Bread'])
    const refused = new ClientError('FORBIDDEN', 'publish to todos: forbidden', { topic: 'todos' })
    sent[0]?.reject(refused)
    await expect(published).rejects.toBe(refused)
    expect(titles()).toEqual([])
    expect(fake.calls).toEqual({ subscribe: 2, unsubscribe: 1 })
  })
})
