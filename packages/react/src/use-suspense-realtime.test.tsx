import { ClientError, crud, type SluiceClient } from '@sluice/client'
import { act, cleanup, render, screen } from '@testing-library/react'
import { Component, type ReactNode, StrictMode, Suspense } from 'react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { closeAll, connect, startRecordingServer, until } from '../test/recording-server'
import { SUSPENSE_GRACE_MS } from './suspense-cache'
import { useSuspenseRealtime } from './use-suspense-realtime'

interface Todo {
  id: string
  title: string
}

const todosMerge = crud<Todo>()
const options = { merge: todosMerge, snapshot: true }
const snapshotOf = (_topic: string, n: number) => [{ id: 'a', title: `A${n}` }]

afterEach(async () => {
  cleanup()
  vi.useRealTimers()
  await closeAll()
})

const statuses: string[] = []

function Todos({ client }: { client: SluiceClient }) {
  const todos = useSuspenseRealtime(client, 'todos', options)
  statuses.push(todos.status)
  return (
    <p data-testid="todos">{`${todos.status}:${todos.data.items.map((todo) => todo.title).join(',')}`}</p>
  )
}

function Page({ client }: { client: SluiceClient }) {
  return (
    <Suspense fallback={<p data-testid="todos">loading</p>}>
      <Todos client={client} />
    </Suspense>
  )
}

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

const text = () => screen.getByTestId('todos').textContent

// Waits until the store of `todos` is live, through a second handle on it that is left at once.
async function untilLive(client: SluiceClient) {
  const probe = client.subscribe('todos', options)
  await until(probe.$state, (state) => state.status === 'live')
  probe.unsubscribe()
}

// Frames on one socket are handled in order: once a later subscribe went live on the server,
// an unsubscribe of `todos` sent before it would have been logged first.
async function roundTrip(client: SluiceClient, server: Awaited<ReturnType<typeof startRecordingServer>>) {
  const barrier = client.subscribe('barrier', { merge: todosMerge })
  await server.seen((log) => log.includes('subscribe barrier'))
  barrier.unsubscribe()
  await server.seen((log) => log.includes('unsubscribe barrier'))
  server.log.splice(server.log.indexOf('subscribe barrier'), 1)
  server.log.splice(server.log.indexOf('unsubscribe barrier'), 1)
}

describe('useSuspenseRealtime against the real server', () => {
  it('shows the fallback, then the live data, over one server subscription the commit takes over', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    statuses.length = 0
    const server = await startRecordingServer({ snapshotOf })
    const client = connect(server)
    const view = render(<Page client={client} />)
    expect(text()).toBe('loading')
    await act(() => untilLive(client))
    expect(text()).toBe('live:A1')
    // The component never rendered a state without consistent data.
    expect(statuses.every((status) => status === 'live')).toBe(true)
    expect(server.log).toEqual(['snapshot todos', 'subscribe todos'])

    // The hold was handed to the committed component: its grace period ending leaves nothing.
    await act(() => vi.advanceTimersByTimeAsync(SUSPENSE_GRACE_MS * 2))
    await roundTrip(client, server)
    expect(server.log).toEqual(['snapshot todos', 'subscribe todos'])
    expect(text()).toBe('live:A1')

    view.unmount()
    await server.seen((log) => log.length === 3)
    expect(server.log).toEqual(['snapshot todos', 'subscribe todos', 'unsubscribe todos'])
  })

  it('under StrictMode shows the fallback, then the data, over one server subscription', async () => {
    const server = await startRecordingServer({ snapshotOf })
    const client = connect(server)
    render(
      <StrictMode>
        <Page client={client} />
      </StrictMode>,
    )
    expect(text()).toBe('loading')
    expect(await screen.findByText('live:A1')).toBeTruthy()
    expect(server.log).toEqual(['snapshot todos', 'subscribe todos'])
  })

  it('releases the subscription of a suspended render that was thrown away, after the grace period', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const server = await startRecordingServer({ snapshotOf })
    const client = connect(server)
    const view = render(<Page client={client} />)
    expect(text()).toBe('loading')
    // The boundary goes away before the topic is live: the render that subscribed never commits.
    view.unmount()
    await untilLive(client)
    expect(server.log).toEqual(['snapshot todos', 'subscribe todos'])

    await vi.advanceTimersByTimeAsync(SUSPENSE_GRACE_MS - 1)
    await roundTrip(client, server)
    expect(server.log).toEqual(['snapshot todos', 'subscribe todos'])

    await vi.advanceTimersByTimeAsync(1)
    await server.seen((log) => log.length === 3)
    expect(server.log).toEqual(['snapshot todos', 'subscribe todos', 'unsubscribe todos'])
  })

  it('throws a refusal before the topic is live to the error boundary, whatever throwOnError says', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const server = await startRecordingServer({
      authorize: (_identity, _topic, action) => action !== 'subscribe',
    })
    const client = connect(server)
    const caught: unknown[] = []
    render(
      <Boundary caught={caught}>
        <Page client={client} />
      </Boundary>,
    )
    expect(text()).toBe('loading')
    expect(await screen.findByText('boundary')).toBeTruthy()
    expect(caught).toHaveLength(1)
    expect(caught[0]).toBeInstanceOf(ClientError)
    expect(caught[0]).toMatchObject({
      code: 'FORBIDDEN',
      topic: 'todos',
      message: 'subscribe todos: not allowed to subscribe to todos',
    })
    expect(server.log).toEqual([])
  })
})
