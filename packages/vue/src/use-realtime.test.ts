import { type CrudState, crud } from '@sluice/client'
import { created, createFakeClient, type FakeClient } from '@sluice/client/testing'
import { describe, expect, it } from 'vitest'
import { createApp, createSSRApp, defineComponent, effectScope, h, nextTick, ref, watch } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { provideClient, sluicePlugin } from './sluice-plugin'
import { useRealtime } from './use-realtime'

interface Todo {
  id: string
  title: string
}

const todosMerge = crud<Todo>()
const microtask = () => Promise.resolve()
const titles = (state: { data: CrudState<Todo> }) => state.data.items.map((todo) => todo.title)

describe('useRealtime in an effect scope', () => {
  it('subscribes at once, follows the store, and unsubscribes when the scope stops', async () => {
    const fake = createFakeClient()
    const scope = effectScope()
    const todos = scope.run(() => useRealtime(fake.client, 'todos', { merge: todosMerge }))!
    expect(fake.refs('todos')).toBe(1)
    expect(todos.value.status).toBe('connecting')
    fake.sink('todos').pushEvents([created('todos', { id: 'a', title: 'A' })])
    await microtask()
    expect(titles(todos.value)).toEqual(['A'])
    scope.stop()
    expect(fake.refs('todos')).toBe(0)
    expect(fake.calls).toEqual({ subscribe: 1, unsubscribe: 1 })
  })

  it('updates the ref once for a burst of 1,000 events', async () => {
    const fake = createFakeClient()
    const scope = effectScope()
    const updates: number[] = []
    scope.run(() => {
      const todos = useRealtime(fake.client, 'todos', { merge: todosMerge })
      watch(todos, (state) => updates.push(state.data.items.length), { flush: 'sync' })
    })
    const sink = fake.sink('todos')
    for (let i = 0; i < 1000; i++) sink.pushEvents([created('todos', { id: `t${i}`, title: `T${i}` })])
    await microtask()
    expect(updates).toEqual([1000])
    scope.stop()
  })

  it('moves the subscription when a reactive topic or filter changes, and only then', async () => {
    const fake = createFakeClient()
    const topic = ref('todos:1')
    const owner = ref('ann')
    const unrelated = ref(0)
    const scope = effectScope()
    scope.run(() =>
      useRealtime(fake.client, topic, () => ({
        merge: todosMerge,
        filter: { field: 'owner', equals: owner.value },
        load: unrelated.value > 0 ? async () => [] : undefined,
      })),
    )
    expect(fake.refs('todos:1', { field: 'owner', equals: 'ann' })).toBe(1)
    unrelated.value = 1
    await nextTick()
    expect(fake.calls).toEqual({ subscribe: 1, unsubscribe: 0 })
    owner.value = 'bob'
    await nextTick()
    expect(fake.refs('todos:1', { field: 'owner', equals: 'ann' })).toBe(0)
    expect(fake.refs('todos:1', { field: 'owner', equals: 'bob' })).toBe(1)
    topic.value = 'todos:2'
    await nextTick()
    expect(fake.refs('todos:2', { field: 'owner', equals: 'bob' })).toBe(1)
    expect(fake.calls).toEqual({ subscribe: 3, unsubscribe: 2 })
    scope.stop()
    expect(fake.calls).toEqual({ subscribe: 3, unsubscribe: 3 })
  })

  it('shares one store between two users of the same topic', async () => {
    const fake = createFakeClient()
    const scope = effectScope()
    const [first, second] = scope.run(() => [
      useRealtime(fake.client, 'todos', { merge: todosMerge }),
      useRealtime(fake.client, 'todos', { merge: todosMerge }),
    ])!
    expect(fake.refs('todos')).toBe(2)
    fake.sink('todos').pushEvents([created('todos', { id: 'a', title: 'A' })])
    await microtask()
    // One store: the same data object (each result carries its own composable's resync/refetch).
    expect(first!.value.data).toBe(second!.value.data)
    expect(first!.value.data.items).toEqual([{ id: 'a', title: 'A' }])
    scope.stop()
  })
})

const TodoList = defineComponent({
  props: { client: { type: Object as () => FakeClient, required: true }, initialData: Object },
  setup(props) {
    const todos = useRealtime(props.client, 'todos', {
      merge: todosMerge,
      ...(props.initialData && { initialData: props.initialData as CrudState<Todo> }),
    })
    return () => h('p', `${todos.value.status}: ${titles(todos.value).join(',')}`)
  },
})

describe('useRealtime in a component', () => {
  it('subscribes after mount, re-renders on change, and unsubscribes on unmount', async () => {
    const fake = createFakeClient()
    const root = document.createElement('div')
    const app = createApp(TodoList, { client: fake.client })
    app.mount(root)
    expect(fake.refs('todos')).toBe(1)
    fake.sink('todos').pushEvents([created('todos', { id: 'a', title: 'A' })])
    await microtask()
    await nextTick()
    expect(root.textContent).toBe('connecting: A')
    app.unmount()
    expect(fake.refs('todos')).toBe(0)
  })

  it('renders initial data on the server without subscribing', async () => {
    const fake = createFakeClient()
    const initialData = todosMerge.fromSnapshot!([{ id: 'a', title: 'From server' }])
    const html = await renderToString(createSSRApp(TodoList, { client: fake.client, initialData }))
    expect(html).toBe('<p>idle: From server</p>')
    expect(fake.calls).toEqual({ subscribe: 0, unsubscribe: 0 })
  })

  it('takes the client from sluicePlugin or provideClient', async () => {
    const fake = createFakeClient()
    const Count = defineComponent({
      setup() {
        const todos = useRealtime<CrudState<Todo>>('todos', { merge: todosMerge })
        return () => h('span', String(todos.value.data.items.length))
      },
    })
    const viaPlugin = await renderToString(createSSRApp(Count).use(sluicePlugin(fake.client)))
    const Parent = defineComponent({
      setup() {
        provideClient(fake.client)
        return () => h(Count)
      },
    })
    const viaProvide = await renderToString(createSSRApp(Parent))
    expect([viaPlugin, viaProvide]).toEqual(['<span>0</span>', '<span>0</span>'])
  })

  it('explains a missing client', () => {
    const scope = effectScope()
    expect(() => scope.run(() => useRealtime('todos', { merge: todosMerge }))).toThrow(
      'No Sluice client here: install sluicePlugin(client) on the app, call provideClient(client) in a parent, or pass the client to the composable.',
    )
    scope.stop()
  })
})
