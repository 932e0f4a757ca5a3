import { type CrudState, crud } from '@sluice/client'
import { created, createFakeClient, type FakeClient } from '@sluice/client/testing'
import { describe, expect, it, vi } from 'vitest'
import { createSSRApp, defineComponent, h, nextTick } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { useRealtime } from './use-realtime'

interface Todo {
  id: string
  title: string
}

const todosMerge = crud<Todo>()
const fromServer = [{ id: 'a', title: 'From server' }]

const Page = defineComponent({
  props: { client: { type: Object as () => FakeClient, required: true } },
  setup(props) {
    const todos = useRealtime(props.client, 'todos', {
      merge: todosMerge,
      initialData: todosMerge.fromSnapshot!(fromServer) as CrudState<Todo>,
    })
    return () =>
      h('p', `${todos.value.status}: ${todos.value.data.items.map((todo) => todo.title).join(',')}`)
  },
})

describe('hydration', () => {
  it('hydrates server HTML without a mismatch, then goes live', async () => {
    const server = createFakeClient()
    const html = await renderToString(createSSRApp(Page, { client: server.client }))
    expect(html).toBe('<p>idle: From server</p>')
    expect(server.calls.subscribe).toBe(0)

    const browser = createFakeClient()
    const container = document.createElement('div')
    container.innerHTML = html
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const app = createSSRApp(Page, { client: browser.client })
    app.mount(container)
    expect(warn).not.toHaveBeenCalled()
    expect(error).not.toHaveBeenCalled()
    expect(browser.calls.subscribe).toBe(1)
    await nextTick()
    expect(container.textContent).toBe('connecting: From server')

    browser.sink('todos').pushEvents([created('todos', { id: 'b', title: 'Live' })])
    browser.sink('todos').setStatus('live')
    await Promise.resolve()
    await nextTick()
    expect(container.textContent).toBe('live: From server,Live')
    app.unmount()
    expect(browser.refs('todos')).toBe(0)
  })
})
