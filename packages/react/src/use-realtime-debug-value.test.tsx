import { crud } from '@sluice/client'
import { created, createFakeClient, type FakeClient } from '@sluice/client/testing'
import { act, cleanup, render } from '@testing-library/react'
import { useDebugValue } from 'react'
import { afterEach, expect, test, vi } from 'vitest'
import { useRealtime } from './use-realtime'

// What React DevTools shows beside useRealtime: the formatter it passes to useDebugValue,
// applied to the value it passes (React calls it only while DevTools inspects).
vi.mock('react', async (importOriginal) => ({
  ...(await importOriginal<typeof import('react')>()),
  useDebugValue: vi.fn(),
}))

afterEach(cleanup)

const shown = () =>
  vi.mocked(useDebugValue).mock.calls.map(([value, format]) => (format ? format(value) : String(value)))

function Todos({ client, enabled }: { client: FakeClient; enabled: boolean }) {
  useRealtime(client, 'todos', { merge: crud<{ id: string; title: string }>(), enabled })
  return null
}

test('useRealtime shows its topic, status and position', async () => {
  const fake = createFakeClient()
  const view = render(<Todos client={fake.client} enabled={false} />)
  expect(shown()).toEqual(['todos: idle'])
  view.rerender(<Todos client={fake.client} enabled />)
  expect(shown().at(-1)).toBe('todos: connecting')
  const event = created('todos', { id: 'a', title: 'A' })
  await act(async () => {
    fake.sink('todos').pushEvents([event])
    fake.sink('todos').setStatus('live')
  })
  expect(shown().at(-1)).toBe(`todos: live at e1:${event.seq}`)
})
