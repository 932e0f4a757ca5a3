import { type CrudState, crud } from '@sluice/client'
import { created, createFakeClient, type FakeClient } from '@sluice/client/testing'
import { act, cleanup, render, screen } from '@testing-library/react'
import { StrictMode, useState } from 'react'
import { renderToString } from 'react-dom/server'
import { afterEach, describe, expect, it } from 'vitest'
import { SluiceProvider } from './sluice-provider'
import { useRealtime } from './use-realtime'

interface Todo {
  id: string
  title: string
}

const todosMerge = crud<Todo>()
const flush = () => act(async () => {})

afterEach(cleanup)

function Todos({ client, renders }: { client: FakeClient; renders?: string[] }) {
  const { data, status } = useRealtime(client, 'todos', { merge: todosMerge })
  renders?.push(`${status}:${data.items.length}`)
  return (
    <p data-testid="todos" data-status={status}>
      {data.items.map((todo) => todo.title).join(',')}
    </p>
  )
}

interface Controls {
  setOwner: (owner: string) => void
  setTick: (tick: number) => void
}

function Filtered({ client, controls }: { client: FakeClient; controls: Controls }) {
  const [owner, setOwner] = useState('ann')
  const [tick, setTick] = useState(0)
  controls.setOwner = setOwner
  controls.setTick = setTick
  // A new options object (and filter object) on every render.
  const { status } = useRealtime(client, 'todos', {
    merge: todosMerge,
    filter: { field: 'owner', equals: owner },
  })
  return <p data-testid="filtered">{`${status}/${tick}`}</p>
}

function Page({ client, initialData }: { client: FakeClient; initialData: CrudState<Todo> }) {
  const { data, status } = useRealtime(client, 'todos', { merge: todosMerge, initialData })
  return <p>{`${status}: ${data.items.map((todo) => todo.title).join(',')}`}</p>
}

function Count() {
  const { data } = useRealtime<CrudState<Todo>>('todos', { merge: todosMerge })
  return <p data-testid="count">{data.items.length}</p>
}

function Orphan() {
  useRealtime('todos', { merge: todosMerge })
  return null
}

describe('useRealtime', () => {
  it('subscribes on mount and renders what the store holds', async () => {
    const fake = createFakeClient()
    render(<Todos client={fake.client} />)
    expect(fake.calls.subscribe).toBe(1)
    expect(screen.getByTestId('todos').dataset.status).toBe('connecting')
    act(() => {
      fake
        .sink('todos')
        .pushEvents([created('todos', { id: 'a', title: 'A' }), created('todos', { id: 'b', title: 'B' })])
      fake.sink('todos').setStatus('live')
    })
    await flush()
    expect(screen.getByTestId('todos').textContent).toBe('A,B')
    expect(screen.getByTestId('todos').dataset.status).toBe('live')
  })

  it('re-renders exactly once for a burst of 1,000 events', async () => {
    const fake = createFakeClient()
    const renders: string[] = []
    render(<Todos client={fake.client} renders={renders} />)
    await flush()
    renders.length = 0
    await act(async () => {
      const sink = fake.sink('todos')
      for (let i = 0; i < 1000; i++) sink.pushEvents([created('todos', { id: `t${i}`, title: `T${i}` })])
    })
    expect(renders).toEqual(['connecting:1000'])
  })

  it('unsubscribes on unmount', async () => {
    const fake = createFakeClient()
    const view = render(<Todos client={fake.client} />)
    expect(fake.refs('todos')).toBe(1)
    view.unmount()
    expect(fake.refs('todos')).toBe(0)
    expect(fake.calls).toEqual({ subscribe: 1, unsubscribe: 1 })
  })

  it('lets two components share one subscription', async () => {
    const fake = createFakeClient()
    render(
      <>
        <Todos client={fake.client} />
        <Todos client={fake.client} />
      </>,
    )
    expect(fake.refs('todos')).toBe(2)
    expect(fake.calls.subscribe).toBe(2)
    act(() => fake.sink('todos').pushEvents([created('todos', { id: 'a', title: 'A' })]))
    await flush()
    expect(screen.getAllByTestId('todos').map((node) => node.textContent)).toEqual(['A', 'A'])
  })

  it('survives StrictMode double mounting with one live subscription', async () => {
    const fake = createFakeClient()
    const view = render(
      <StrictMode>
        <Todos client={fake.client} />
      </StrictMode>,
    )
    expect(fake.refs('todos')).toBe(1)
    expect(fake.calls).toEqual({ subscribe: 2, unsubscribe: 1 })
    act(() => fake.sink('todos').pushEvents([created('todos', { id: 'a', title: 'A' })]))
    await flush()
    expect(screen.getByTestId('todos').textContent).toBe('A')
    view.unmount()
    expect(fake.refs('todos')).toBe(0)
  })

  it('keeps the subscription across re-renders with an equal filter, and moves it when the filter changes', async () => {
    const fake = createFakeClient()
    const controls = { setOwner: (_: string) => {}, setTick: (_: number) => {} }
    render(<Filtered client={fake.client} controls={controls} />)
    act(() => controls.setTick(1))
    act(() => controls.setTick(2))
    expect(fake.calls).toEqual({ subscribe: 1, unsubscribe: 0 })
    expect(fake.refs('todos', { field: 'owner', equals: 'ann' })).toBe(1)
    act(() => controls.setOwner('bob'))
    expect(fake.calls).toEqual({ subscribe: 2, unsubscribe: 1 })
    expect(fake.refs('todos', { field: 'owner', equals: 'ann' })).toBe(0)
    expect(fake.refs('todos', { field: 'owner', equals: 'bob' })).toBe(1)
  })

  it('renders initial data on the server without subscribing', () => {
    const fake = createFakeClient()
    const initialData = todosMerge.fromSnapshot!([{ id: 'a', title: 'From server' }])
    expect(renderToString(<Page client={fake.client} initialData={initialData} />)).toBe(
      '<p>idle: From server</p>',
    )
    expect(renderToString(<Todos client={fake.client} />)).toBe(
      '<p data-testid="todos" data-status="idle"></p>',
    )
    expect(fake.calls).toEqual({ subscribe: 0, unsubscribe: 0 })
  })

  it('takes the client from SluiceProvider when called with a topic first', async () => {
    const fake = createFakeClient()
    render(
      <SluiceProvider client={fake.client}>
        <Count />
      </SluiceProvider>,
    )
    act(() => fake.sink('todos').pushEvents([created('todos', { id: 'a', title: 'A' })]))
    await flush()
    expect(screen.getByTestId('count').textContent).toBe('1')
  })

  it('explains a missing provider', () => {
    expect(() => renderToString(<Orphan />)).toThrow(
      'No Sluice client here: wrap the tree in <SluiceProvider client={createClient(...)}> or pass the client to the hook.',
    )
  })
})
