import { ClientError, type CrudState, crud, type SluiceClient } from '@sluice/client'
import { act, cleanup, render, screen } from '@testing-library/react'
import { Component, type ReactNode, StrictMode } from 'react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { closeAll, connect, startRecordingServer } from '../test/recording-server'
import type { RealtimeResult, UseRealtimeOptions } from './realtime-result'
import { useRealtime } from './use-realtime'

interface Todo {
  id: string
  title: string
}

const todosMerge = crud<Todo>()
const fromPage = todosMerge.fromSnapshot!([{ id: 'p', title: 'From page' }])
// The n-th snapshot the server serves holds one todo titled A<n>: each reload is visible.
const snapshotOf = (_topic: string, n: number) => [{ id: 'a', title: `A${n}` }]

afterEach(async () => {
  cleanup()
  await closeAll()
})

type Props = {
  client: SluiceClient
  results?: RealtimeResult<CrudState<Todo>>[]
  label?: string
} & Pick<UseRealtimeOptions<CrudState<Todo>>, 'enabled' | 'throwOnError'>

function Todos({ client, results, label = '', enabled, throwOnError }: Props) {
  const todos = useRealtime(client, 'todos', {
    merge: todosMerge,
    snapshot: true,
    initialData: fromPage,
    ...(enabled !== undefined && { enabled }),
    ...(throwOnError !== undefined && { throwOnError }),
  })
  results?.push(todos)
  return (
    <p data-testid="todos">{`${label}${todos.status}:${todos.data.items.map((todo) => todo.title).join(',')}`}</p>
  )
}

const text = () => screen.getByTestId('todos').textContent
const flags = ({ isConnecting, isLive, isResyncing, isError, isStale }: RealtimeResult<unknown>) => ({
  isConnecting,
  isLive,
  isResyncing,
  isError,
  isStale,
})

class Boundary extends Component<{ children: ReactNode; caught: unknown[] }, { failed: boolean }> {
  override state = { failed: false }
  static getDerivedStateFromError() {
    return { failed: true }
  }
  override componentDidCatch(error: unknown) {
    this.props.caught.push(error)
  }
  override render() {
    return this.state.failed ? <p data-testid="todos">boundary</p> : this.props.children
  }
}

describe('useRealtime options against the real server', () => {
  it('subscribes only while enabled: nothing on the wire while false, one subscribe per flip to true', async () => {
    const server = await startRecordingServer({ snapshotOf })
    const client = connect(server)
    const view = render(<Todos client={client} enabled={false} />)
    await act(async () => {})
    expect(text()).toBe('idle:From page')
    // The client is lazy: with nothing subscribed it never even connected.
    expect(client.$connection.get().status).toBe('idle')
    expect(server.log).toEqual([])

    view.rerender(<Todos client={client} enabled />)
    expect(await screen.findByText('live:A1')).toBeTruthy()
    expect(server.log).toEqual(['snapshot todos', 'subscribe todos'])

    view.rerender(<Todos client={client} enabled={false} />)
    expect(text()).toBe('idle:From page')
    await act(() => server.seen((log) => log.length === 3))
    expect(server.log).toEqual(['snapshot todos', 'subscribe todos', 'unsubscribe todos'])

    view.rerender(<Todos client={client} enabled />)
    expect(await screen.findByText('live:A2')).toBeTruthy()
    expect(server.log).toEqual([
      'snapshot todos',
      'subscribe todos',
      'unsubscribe todos',
      'snapshot todos',
      'subscribe todos',
    ])
  })

  it('keeps one server subscription under StrictMode and leaves it on unmount', async () => {
    const server = await startRecordingServer({ snapshotOf })
    const client = connect(server)
    const view = render(
      <StrictMode>
        <Todos client={client} />
      </StrictMode>,
    )
    expect(await screen.findByText('live:A1')).toBeTruthy()
    expect(server.log).toEqual(['snapshot todos', 'subscribe todos'])
    view.unmount()
    await act(() => server.seen((log) => log.length === 3))
    expect(server.log).toEqual(['snapshot todos', 'subscribe todos', 'unsubscribe todos'])
  })

  it('sets exactly one status flag per non-idle status and returns the same object until the state changes', async () => {
    const server = await startRecordingServer({ snapshotOf })
    const client = connect(server)
    const results: RealtimeResult<CrudState<Todo>>[] = []
    const view = render(<Todos client={client} results={results} enabled={false} />)
    expect(flags(results.at(-1)!)).toEqual({
      isConnecting: false,
      isLive: false,
      isResyncing: false,
      isError: false,
      isStale: false,
    })
    view.rerender(<Todos client={client} results={results} />)
    expect(await screen.findByText('live:A1')).toBeTruthy()
    const connecting = results.find((result) => result.status === 'connecting')!
    expect(flags(connecting)).toEqual({
      isConnecting: true,
      isLive: false,
      isResyncing: false,
      isError: false,
      isStale: false,
    })
    const live = results.at(-1)!
    expect(flags(live)).toEqual({
      isConnecting: false,
      isLive: true,
      isResyncing: false,
      isError: false,
      isStale: false,
    })

    // A re-render for another reason reads the same state: the same object comes back.
    view.rerender(<Todos client={client} results={results} label="again " />)
    expect(text()).toBe('again live:A1')
    expect(results.at(-1)).toBe(live)
  })

  it('resync() reloads the topic from a fresh snapshot; refetch() resolves once it is live again', async () => {
    const server = await startRecordingServer({ snapshotOf })
    const client = connect(server)
    const results: RealtimeResult<CrudState<Todo>>[] = []
    render(<Todos client={client} results={results} />)
    expect(await screen.findByText('live:A1')).toBeTruthy()

    let asked: boolean | undefined
    act(() => {
      asked = results.at(-1)!.resync()
    })
    expect(asked).toBe(true)
    expect(results.at(-1)!.status).toBe('resyncing')
    expect(flags(results.at(-1)!)).toEqual({
      isConnecting: false,
      isLive: false,
      isResyncing: true,
      isError: false,
      isStale: false,
    })
    expect(await screen.findByText('live:A2')).toBeTruthy()

    const refetched = await act(() => results.at(-1)!.refetch())
    expect(refetched.status).toBe('live')
    expect(refetched.data.items).toEqual([{ id: 'a', title: 'A3' }])
    expect(text()).toBe('live:A3')
    expect(server.log.filter((entry) => entry === 'snapshot todos')).toHaveLength(3)
  })

  it('resync() asks nothing and refetch() rejects naming the topic while disabled', async () => {
    const server = await startRecordingServer({ snapshotOf })
    const client = connect(server)
    const results: RealtimeResult<CrudState<Todo>>[] = []
    render(<Todos client={client} results={results} enabled={false} />)
    expect(results.at(-1)!.resync()).toBe(false)
    const refused = await results
      .at(-1)!
      .refetch()
      .catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(ClientError)
    expect(refused).toMatchObject({
      code: 'NOT_FOUND',
      topic: 'todos',
      message: 'refetch todos: nothing is subscribed (the hook is disabled or has not committed yet)',
    })
    expect(client.$connection.get().status).toBe('idle')
    expect(server.log).toEqual([])
  })

  it('throwOnError hands the refusal to the nearest error boundary as a ClientError with code and topic', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const server = await startRecordingServer({
      authorize: (_identity, _topic, action) => action !== 'subscribe',
    })
    const client = connect(server)
    const caught: unknown[] = []
    render(
      <Boundary caught={caught}>
        <Todos client={client} throwOnError />
      </Boundary>,
    )
    expect(await screen.findByText('boundary')).toBeTruthy()
    expect(caught).toHaveLength(1)
    expect(caught[0]).toBeInstanceOf(ClientError)
    expect(caught[0]).toMatchObject({ code: 'FORBIDDEN', topic: 'todos' })
    expect((caught[0] as ClientError).message).toBe('subscribe todos: not allowed to subscribe to todos')
    expect(server.log).toEqual([])
  })

  it('throwOnError as a function throws only the errors it picks', async () => {
    const server = await startRecordingServer({
      authorize: (_identity, _topic, action) => action !== 'subscribe',
    })
    const client = connect(server)
    const caught: unknown[] = []
    const picked: string[] = []
    const results: RealtimeResult<CrudState<Todo>>[] = []
    render(
      <Boundary caught={caught}>
        <Todos
          client={client}
          results={results}
          throwOnError={(error) => {
            picked.push(`${error.code} ${error.topic}`)
            return error.code !== 'FORBIDDEN'
          }}
        />
      </Boundary>,
    )
    expect(await screen.findByText('error:From page')).toBeTruthy()
    expect(caught).toEqual([])
    expect(picked.length).toBeGreaterThan(0)
    expect(new Set(picked)).toEqual(new Set(['FORBIDDEN todos']))
    expect(results.at(-1)!.error?.code).toBe('FORBIDDEN')
    expect(flags(results.at(-1)!)).toEqual({
      isConnecting: false,
      isLive: false,
      isResyncing: false,
      isError: true,
      isStale: false,
    })
  })
})
