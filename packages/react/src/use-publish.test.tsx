import { ClientError, type CrudState, crud, type PublishResult } from '@sluice/client'
import { createFakeClient } from '@sluice/client/testing'
import { act, cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { SluiceProvider } from './sluice-provider'
import { type PublishClient, type UsePublishResult, usePublish } from './use-publish'
import { useRealtime } from './use-realtime'

afterEach(cleanup)

interface Todo {
  id: string
  title: string
}

const todosMerge = crud<Todo>()
const flush = () => act(async () => {})

/** The fake client plus a publish whose outcome each test decides, one deferred per call. */
function publishClient() {
  const fake = createFakeClient()
  const sent: {
    topic: string
    id: string | undefined
    resolve: (r: PublishResult) => void
    reject: (e: Error) => void
  }[] = []
  const client: PublishClient = {
    subscribe: fake.client.subscribe,
    publish: (topic, _event, options) =>
      new Promise<PublishResult>((resolve, reject) => {
        sent.push({ topic, id: options?.id, resolve, reject })
      }),
  }
  return { fake, client, sent }
}

let hook: UsePublishResult

function Publisher({ client }: { client: PublishClient }) {
  hook = usePublish(client, 'todos')
  const { isPending, error, data } = hook
  return <p data-testid="state">{`${isPending} ${error?.code ?? '-'} ${data?.seq ?? '-'}`}</p>
}

function ContextPublisher() {
  hook = usePublish('todos')
  return null
}

function Todos({ client }: { client: PublishClient }) {
  const { data } = useRealtime<CrudState<Todo>>(client as never, 'todos', { merge: todosMerge })
  return <p data-testid="todos">{data.items.map((todo) => todo.title).join(',')}</p>
}

const state = () => screen.getByTestId('state').textContent

describe('usePublish', () => {
  it('tracks the latest publish: pending, its ack, its ClientError; reset returns to idle', async () => {
    const { client, sent } = publishClient()
    render(<Publisher client={client} />)
    expect(state()).toBe('false - -')
    act(() => hook.publish({ kind: 'created', key: 'a' }))
    expect(state()).toBe('true - -')
    await act(async () => sent[0]!.resolve({ epoch: 'e1', seq: 4, duplicate: false }))
    expect(state()).toBe('false - 4')
    act(() => hook.publish({ kind: 'created', key: 'b' }))
    act(() => hook.publish({ kind: 'created', key: 'c' }))
    // The newer publish fails; the older one's late ack must not overwrite that.
    await act(async () => sent[2]!.reject(new ClientError('FORBIDDEN', 'publish to todos: not allowed')))
    await act(async () => sent[1]!.resolve({ epoch: 'e1', seq: 5, duplicate: false }))
    expect(state()).toBe('false FORBIDDEN 4')
    expect(hook.error?.message).toBe('publish to todos: not allowed')
    act(() => hook.reset())
    expect(state()).toBe('false - -')
    expect(sent.map((publish) => publish.topic)).toEqual(['todos', 'todos', 'todos'])
  })

  it('publishAsync resolves with the ack and rejects with the error', async () => {
    const { client, sent } = publishClient()
    render(<Publisher client={client} />)
    let ack: Promise<PublishResult> = Promise.resolve({ epoch: '', seq: 0, duplicate: false })
    act(() => {
      ack = hook.publishAsync({ kind: 'created', key: 'a' })
    })
    await act(async () => sent[0]!.resolve({ epoch: 'e1', seq: 1, duplicate: true }))
    await expect(ack).resolves.toEqual({ epoch: 'e1', seq: 1, duplicate: true })
    act(() => {
      ack = hook.publishAsync({ kind: 'created', key: 'b' })
    })
    // Handled before it rejects, as a caller awaiting it would.
    const rejected = expect(ack).rejects.toThrow('publish to todos: no ack')
    await act(async () => sent[1]!.reject(new ClientError('TIMEOUT', 'publish to todos: no ack')))
    await rejected
    expect(state()).toBe('false TIMEOUT 1')
  })

  it('shows an optimistic event in the rendered store, replaced by the server copy with the same id', async () => {
    const { fake, client, sent } = publishClient()
    render(
      <>
        <Todos client={client} />
        <Publisher client={client} />
      </>,
    )
    const event = { kind: 'created' as const, key: 'a', data: { id: 'a', title: 'Mine' } }
    act(() => hook.publish(event, { optimistic: { merge: todosMerge } }))
    await flush()
    expect(screen.getByTestId('todos').textContent).toBe('Mine')
    const id = sent[0]!.id!
    expect(id).toMatch(/^p-[0-9a-f]{24}$/)
    act(() => {
      fake.sink('todos').pushEvents([
        {
          type: 'event',
          topic: 'todos',
          epoch: 'e1',
          seq: 1,
          ts: 0,
          ...event,
          data: { id: 'a', title: 'Ours' },
          publishId: id,
        },
      ])
    })
    await act(async () => sent[0]!.resolve({ epoch: 'e1', seq: 1, duplicate: false }))
    expect(screen.getByTestId('todos').textContent).toBe('Ours')
    // The publish's own handle on the store is gone; the rendered one stays.
    expect(fake.refs('todos')).toBe(1)
  })

  it('rolls the optimistic event back when the publish fails', async () => {
    const { fake, client, sent } = publishClient()
    render(
      <>
        <Todos client={client} />
        <Publisher client={client} />
      </>,
    )
    act(() =>
      hook.publish(
        { kind: 'created', key: 'a', data: { id: 'a', title: 'Mine' } },
        { optimistic: { merge: todosMerge }, id: 'p1' },
      ),
    )
    await flush()
    expect(screen.getByTestId('todos').textContent).toBe('Mine')
    expect(sent[0]!.id).toBe('p1')
    await act(async () => sent[0]!.reject(new ClientError('FORBIDDEN', 'publish to todos: not allowed')))
    await flush()
    expect(screen.getByTestId('todos').textContent).toBe('')
    expect(state()).toBe('false FORBIDDEN -')
    expect(fake.refs('todos')).toBe(1)
  })

  it('uses the provider client without one', async () => {
    const { client, sent } = publishClient()
    render(
      <SluiceProvider client={client as never}>
        <ContextPublisher />
      </SluiceProvider>,
    )
    act(() => hook.publish({ kind: 'deleted', key: 'a' }))
    expect(sent.map((publish) => publish.topic)).toEqual(['todos'])
  })
})
