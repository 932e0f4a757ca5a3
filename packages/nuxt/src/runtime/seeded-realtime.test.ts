import { type CrudState, crud, type SluiceClient } from '@sluice/client'
import type { TestServer } from '@sluice/server-node/testing'
import { closeAll, connect, startServer } from '@sluice/test-support'
import { until } from '@sluice/test-support/vue'
import type { RealtimeResult } from '@sluice/vue'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type App, createSSRApp, defineComponent, h, nextTick, type Ref, shallowRef } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { seedKey, type TopicSeed, useSeededRealtime } from './seeded-realtime'

// The path useAsyncRealtime takes without Nuxt around it: a seed read on the server with its
// position, rendered there, hydrated in the browser, then live against the real server.

interface Todo {
  id: string
  title: string
}

const todosMerge = crud<Todo>()
let app: App | undefined

afterEach(async () => {
  app?.unmount()
  app = undefined
  await closeAll()
})

async function publishTodo(server: TestServer, id: string) {
  const at = await server.server.publish('todos', { kind: 'created', key: id, data: { id, title: id } })
  if (!at) throw new Error(`publish of todo ${id} returned no position`)
  return at
}

/** A page rendering the seeded state as "<status>: <titles>", its seed given by `seed()`. */
function todosPage(client: SluiceClient, seed: () => TopicSeed | null, merge = todosMerge) {
  let state: Readonly<Ref<RealtimeResult<CrudState<Todo>>>>
  const Page = defineComponent({
    setup() {
      state = useSeededRealtime(client, 'todos', seed, { merge })
      return () =>
        h('p', `${state.value.status}: ${state.value.data.items.map((todo) => todo.title).join(',')}`)
    },
  })
  return { Page, state: () => state.value }
}

describe('useSeededRealtime', () => {
  it('renders the seed on the server without connecting, hydrates it as is, then resumes after its position', async () => {
    const server = await startServer()
    await publishTodo(server, 'a')
    const position = await publishTodo(server, 'b')
    const seed: TopicSeed = {
      snapshot: [
        { id: 'a', title: 'a' },
        { id: 'b', title: 'b' },
      ],
      position,
    }

    const serverClient = connect(server)
    const rendered = todosPage(serverClient, () => seed)
    const html = await renderToString(createSSRApp(rendered.Page))
    expect(html).toBe('<p>idle: a,b</p>')
    expect(serverClient.$connection.get().status).toBe('idle')

    // Published after the server read the seed and before the browser subscribes: lost if the
    // browser started from the head, shown twice if it replayed from before the seed.
    await publishTodo(server, 'c')

    const container = document.createElement('div')
    container.innerHTML = html
    const warn = vi.spyOn(console, 'warn')
    const error = vi.spyOn(console, 'error')
    // Counts how often the seed becomes state: once per app, however often useRealtime reads its options.
    let fromSnapshot = 0
    const counted: typeof todosMerge = {
      ...todosMerge,
      fromSnapshot(json) {
        fromSnapshot += 1
        return todosMerge.fromSnapshot!(json)
      },
    }
    const browser = todosPage(connect(server), () => seed, counted)
    app = createSSRApp(browser.Page)
    app.mount(container)
    expect(warn).not.toHaveBeenCalled()
    expect(error).not.toHaveBeenCalled()
    await nextTick()
    expect(container.textContent).toBe('connecting: a,b')
    expect(browser.state()).toMatchObject({ isConnecting: true, isLive: false, isStale: false })

    await until(
      browser.state,
      (state) => state.status === 'live' && state.data.items.length >= 3,
      'the hydrated subscription to go live with the replayed todo c',
    )
    await nextTick()
    expect(container.textContent).toBe('live: a,b,c')
    expect(browser.state().position).toEqual({ epoch: position.epoch, seq: 3 })
    expect(browser.state().isLive).toBe(true)
    expect(fromSnapshot).toBe(1)

    await publishTodo(server, 'd')
    await until(browser.state, (state) => state.data.items.length === 4, 'the live todo d')
    await nextTick()
    expect(container.textContent).toBe('live: a,b,c,d')
  })

  it('renders a seed that arrives after the call (an awaited fetch on the server)', async () => {
    const server = await startServer()
    const position = await publishTodo(server, 'a')
    const client = connect(server)
    let state: (() => unknown) | undefined
    const Page = defineComponent({
      async setup() {
        const seed = shallowRef<TopicSeed | null>(null)
        const todos = useSeededRealtime(client, 'todos', () => seed.value, { merge: todosMerge })
        state = () => todos.value
        seed.value = await Promise.resolve({ snapshot: [{ id: 'a', title: 'a' }], position })
        return () =>
          h('p', `${todos.value.status}: ${todos.value.data.items.map((todo) => todo.title).join(',')}`)
      },
    })
    expect(await renderToString(createSSRApp(Page))).toBe('<p>idle: a</p>')
    expect(state?.()).toMatchObject({
      status: 'idle',
      position,
      error: null,
      stale: null,
      isConnecting: false,
      isLive: false,
      isResyncing: false,
      isError: false,
      isStale: false,
    })
    expect(client.$connection.get().status).toBe('idle')
  })

  it('without a seed shows the strategy’s empty state and subscribes from the head', async () => {
    const server = await startServer()
    await publishTodo(server, 'old')
    const client = connect(server)
    const page = todosPage(client, () => null)
    const container = document.createElement('div')
    container.innerHTML = await renderToString(createSSRApp(page.Page))
    expect(container.innerHTML).toBe('<p>idle: </p>')
    app = createSSRApp(page.Page)
    app.mount(container)
    await until(page.state, (state) => state.status === 'live', 'the subscription to go live')
    await publishTodo(server, 'new')
    await until(page.state, (state) => state.data.items.length === 1, 'the todo published after subscribing')
    expect(page.state().data.items.map((todo) => todo.id)).toEqual(['new'])
  })
})

describe('seedKey', () => {
  it('is the topic without a filter, and the topic with the filter JSON with one', () => {
    expect(seedKey('todos', undefined)).toBe('sluice:todos')
    expect(seedKey('todos', { field: 'owner', equals: 'ann' })).toBe(
      'sluice:todos:{"field":"owner","equals":"ann"}',
    )
  })
})
