import { crud } from '@sluice/client'
import { created, createFakeClient, type FakeClient } from '@sluice/client/testing'
import { act } from '@testing-library/react'
import { hydrateRoot } from 'react-dom/client'
import { renderToString } from 'react-dom/server'
import { describe, expect, it, vi } from 'vitest'
import { useRealtime } from './use-realtime'

interface Todo {
  id: string
  title: string
}

const todosMerge = crud<Todo>()
const fromServer = [{ id: 'a', title: 'From server' }]

function Page({ client }: { client: FakeClient }) {
  const { data, status } = useRealtime(client, 'todos', {
    merge: todosMerge,
    initialData: todosMerge.fromSnapshot!(fromServer),
  })
  return <p>{`${status}: ${data.items.map((todo) => todo.title).join(',')}`}</p>
}

describe('hydration', () => {
  it('hydrates server HTML without a mismatch, then goes live', async () => {
    const server = createFakeClient()
    const html = renderToString(<Page client={server.client} />)
    expect(server.calls.subscribe).toBe(0)

    const browser = createFakeClient()
    const container = document.createElement('div')
    container.innerHTML = html
    const recoverable = vi.fn()
    const root = await act(async () =>
      hydrateRoot(container, <Page client={browser.client} />, { onRecoverableError: recoverable }),
    )
    expect(recoverable).not.toHaveBeenCalled()
    expect(browser.calls.subscribe).toBe(1)
    expect(container.textContent).toBe('connecting: From server')

    await act(async () => {
      browser.sink('todos').pushEvents([created('todos', { id: 'b', title: 'Live' })])
      browser.sink('todos').setStatus('live')
    })
    expect(container.textContent).toBe('live: From server,Live')
    act(() => root.unmount())
    expect(browser.refs('todos')).toBe(0)
  })
})
