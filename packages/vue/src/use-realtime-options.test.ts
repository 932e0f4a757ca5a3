import { ClientError, type CrudState, crud, type SluiceClient } from '@sluice/client'
import type { SluiceServerOptions } from '@sluice/server-node'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type App,
  createApp,
  createSSRApp,
  defineComponent,
  h,
  nextTick,
  onErrorCaptured,
  reactive,
  ref,
  Suspense,
  shallowReactive,
} from 'vue'
import { renderToString } from 'vue/server-renderer'
import { closeAll, connect, startServer, until } from '../test/real-server'
import type { RealtimeResult, UseRealtime, UseRealtimeOptions } from './realtime-result'
import { useRealtime } from './use-realtime'

interface Todo {
  id: string
  title: string
}

const todosMerge = crud<Todo>()
const fromPage = todosMerge.fromSnapshot!([{ id: 'p', title: 'From page' }])
const apps: App[] = []

afterEach(async () => {
  for (const app of apps.splice(0)) app.unmount()
  await closeAll()
})

/**
 * A real server that logs what it saw: `subscribe todos` when a subscription went live,
 * `unsubscribe todos` when it ended, `snapshot todos` per snapshot served (the n-th holds one
 * todo titled A<n>, so each reload shows).
 */
async function recordingServer(options: SluiceServerOptions = {}) {
  // Reactive, so `seen` can wait on it with a watcher: woken by the server hooks, no polling.
  const log = reactive<string[]>([])
  let served = 0
  const server = await startServer({
    onSubscribe: (_connection, topic) => {
      log.push(`subscribe ${topic}`)
    },
    onUnsubscribe: (_connection, topic, reason) => {
      log.push(`unsubscribe ${topic}${reason ? ` ${reason}` : ''}`)
    },
    snapshot: (topic) => {
      served++
      log.push(`snapshot ${topic}`)
      return [{ id: 'a', title: `A${served}` }]
    },
    ...options,
  })
  return {
    server,
    log,
    seen: (count: number) =>
      until(
        () => log.length,
        (length) => length >= count,
        `${count} server log entries`,
      ),
  }
}

/** Waits until the composable's value reads `expected`, then for the render of it. */
async function untilShown(todos: UseRealtime<CrudState<Todo>>, root: HTMLElement, expected: string) {
  await until(
    () => text(todos.value),
    (shown) => shown === expected,
    expected,
  )
  await nextTick()
  expect(root.textContent).toBe(expected)
}

const text = (state: RealtimeResult<CrudState<Todo>>) =>
  `${state.status}:${state.data.items.map((todo) => todo.title).join(',')}`

/** Mounts a component around useRealtime; `parentErrors` collects what the parent's onErrorCaptured got. */
function mountTodos(client: SluiceClient, options: Partial<UseRealtimeOptions<CrudState<Todo>>> = {}) {
  let todos: UseRealtime<CrudState<Todo>> | undefined
  const parentErrors = shallowReactive<unknown[]>([])
  const Todos = defineComponent({
    setup() {
      todos = useRealtime(client, 'todos', {
        merge: todosMerge,
        snapshot: true,
        initialData: fromPage,
        ...options,
      })
      return () => h('p', text(todos!.value))
    },
  })
  const Parent = defineComponent({
    setup() {
      onErrorCaptured((error) => {
        parentErrors.push(error)
        return false
      })
      return () => h(Todos)
    },
  })
  const root = document.createElement('div')
  const app = createApp(Parent)
  app.mount(root)
  apps.push(app)
  return { todos: todos!, root, parentErrors }
}

const flags = ({ isConnecting, isLive, isResyncing, isError, isStale }: RealtimeResult<unknown>) => ({
  isConnecting,
  isLive,
  isResyncing,
  isError,
  isStale,
})

describe('useRealtime options against the real server', () => {
  it('subscribes only while enabled (a ref): nothing on the wire while false, one subscribe per flip to true', async () => {
    const { server, log, seen } = await recordingServer()
    const client = connect(server)
    const enabled = ref(false)
    const { todos, root } = mountTodos(client, { enabled })
    await nextTick()
    expect(root.textContent).toBe('idle:From page')
    expect(flags(todos.value)).toEqual({
      isConnecting: false,
      isLive: false,
      isResyncing: false,
      isError: false,
      isStale: false,
    })
    // The client is lazy: with nothing subscribed it never even connected.
    expect(client.$connection.get().status).toBe('idle')
    expect([...log]).toEqual([])

    enabled.value = true
    await untilShown(todos, root, 'live:A1')
    expect(flags(todos.value)).toEqual({
      isConnecting: false,
      isLive: true,
      isResyncing: false,
      isError: false,
      isStale: false,
    })
    expect([...log]).toEqual(['snapshot todos', 'subscribe todos'])

    enabled.value = false
    await nextTick()
    expect(root.textContent).toBe('idle:From page')
    await seen(3)
    expect([...log]).toEqual(['snapshot todos', 'subscribe todos', 'unsubscribe todos'])

    enabled.value = true
    await untilShown(todos, root, 'live:A2')
    expect([...log]).toEqual([
      'snapshot todos',
      'subscribe todos',
      'unsubscribe todos',
      'snapshot todos',
      'subscribe todos',
    ])
  })

  it('resync() reloads from a fresh snapshot; refetch() resolves once live again', async () => {
    const { server, log } = await recordingServer()
    const client = connect(server)
    const { todos, root } = mountTodos(client, { enabled: () => true })
    await untilShown(todos, root, 'live:A1')

    expect(todos.value.resync()).toBe(true)
    expect(flags(todos.value)).toEqual({
      isConnecting: false,
      isLive: false,
      isResyncing: true,
      isError: false,
      isStale: false,
    })
    await untilShown(todos, root, 'live:A2')

    const refetched = await todos.value.refetch()
    expect(text(refetched)).toBe('live:A3')
    expect(todos.value.data.items).toEqual([{ id: 'a', title: 'A3' }])
    expect(log.filter((entry) => entry === 'snapshot todos')).toHaveLength(3)
  })

  it('resync() asks nothing and refetch() rejects naming the topic while disabled', async () => {
    const { server, log } = await recordingServer()
    const client = connect(server)
    const { todos } = mountTodos(client, { enabled: false })
    expect(todos.value.resync()).toBe(false)
    const refused = await todos.value.refetch().catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(ClientError)
    expect(refused).toMatchObject({
      code: 'NOT_FOUND',
      topic: 'todos',
      message: 'refetch todos: nothing is subscribed (useRealtime is disabled or not mounted yet)',
    })
    expect(client.$connection.get().status).toBe('idle')
    expect([...log]).toEqual([])
  })

  it("throwOnError hands the refusal to the parent's onErrorCaptured as a ClientError with code and topic", async () => {
    const { server, log } = await recordingServer({
      authorize: (_identity, _topic, action) => action !== 'subscribe',
    })
    const client = connect(server)
    const { todos, parentErrors } = mountTodos(client, { throwOnError: true })
    await until(
      () => parentErrors.length,
      (count) => count > 0,
      'an error captured by the parent',
    )
    expect(parentErrors).toHaveLength(1)
    expect(parentErrors[0]).toBeInstanceOf(ClientError)
    expect(parentErrors[0]).toMatchObject({
      code: 'FORBIDDEN',
      topic: 'todos',
      message: 'subscribe todos: not allowed to subscribe to todos',
    })
    expect(todos.value.isError).toBe(true)
    expect([...log]).toEqual([])
  })

  it('throwOnError as a function throws only the errors it picks', async () => {
    const { server } = await recordingServer({
      authorize: (_identity, _topic, action) => action !== 'subscribe',
    })
    const client = connect(server)
    const picked: string[] = []
    const { todos, root, parentErrors } = mountTodos(client, {
      throwOnError: (error) => {
        picked.push(`${error.code} ${error.topic}`)
        return error.code !== 'FORBIDDEN'
      },
    })
    await until(
      () => todos.value.status,
      (status) => status === 'error',
      'status error',
    )
    await nextTick()
    expect(root.textContent).toBe('error:From page')
    expect(picked).toEqual(['FORBIDDEN todos'])
    expect(parentErrors).toEqual([])
  })
})

describe('useRealtime suspense() in async setup', () => {
  function mountSuspended(client: SluiceClient) {
    const parentErrors = shallowReactive<unknown[]>([])
    const statuses = shallowReactive<string[]>([])
    const Todos = defineComponent({
      async setup() {
        const todos = useRealtime(client, 'todos', { merge: todosMerge, snapshot: true })
        await todos.suspense()
        return () => {
          statuses.push(todos.value.status)
          return h('p', text(todos.value))
        }
      },
    })
    const Page = defineComponent({
      setup() {
        onErrorCaptured((error) => {
          parentErrors.push(error)
          return false
        })
        return () => h(Suspense, null, { default: () => h(Todos), fallback: () => h('p', 'loading') })
      },
    })
    const root = document.createElement('div')
    const app = createApp(Page)
    app.mount(root)
    apps.push(app)
    return { root, parentErrors, statuses }
  }

  it('shows the fallback, then the live data, over one server subscription', async () => {
    const { server, log, seen } = await recordingServer()
    const client = connect(server)
    const { root, statuses } = mountSuspended(client)
    expect(root.textContent).toBe('loading')
    // Suspense shows the component once its async setup resolved: wait for that render.
    await until(
      () => statuses.length,
      (count) => count > 0,
      'the render after suspense',
    )
    await nextTick()
    expect(root.textContent).toBe('live:A1')
    // The component never rendered a state without consistent data.
    expect(statuses).toEqual(['live'])
    expect([...log]).toEqual(['snapshot todos', 'subscribe todos'])

    for (const app of apps.splice(0)) app.unmount()
    await seen(3)
    expect([...log]).toEqual(['snapshot todos', 'subscribe todos', 'unsubscribe todos'])
  })

  it("rejects with the refusal, which reaches the parent's onErrorCaptured", async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { server } = await recordingServer({
      authorize: (_identity, _topic, action) => action !== 'subscribe',
    })
    const client = connect(server)
    const { parentErrors } = mountSuspended(client)
    await until(
      () => parentErrors.length,
      (count) => count > 0,
      'an error captured by the parent',
    )
    expect(parentErrors).toHaveLength(1)
    expect(parentErrors[0]).toBeInstanceOf(ClientError)
    expect(parentErrors[0]).toMatchObject({
      code: 'FORBIDDEN',
      topic: 'todos',
      message: 'subscribe todos: not allowed to subscribe to todos',
    })
  })

  it('resolves at once on the server, subscribing nothing', async () => {
    const { server, log } = await recordingServer()
    const client = connect(server)
    const Todos = defineComponent({
      async setup() {
        const todos = useRealtime(client, 'todos', { merge: todosMerge, initialData: fromPage })
        const ready = await todos.suspense()
        return () => h('p', text(ready))
      },
    })
    const html = await renderToString(
      createSSRApp(defineComponent({ render: () => h(Suspense, null, { default: () => h(Todos) }) })),
    )
    expect(html).toBe('<p>idle:From page</p>')
    expect(client.$connection.get().status).toBe('idle')
    expect([...log]).toEqual([])
  })
})
