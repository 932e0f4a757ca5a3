import { created, createFakeClient, type FakeClient } from '@sluice/client/testing'
import { act, cleanup, render } from '@testing-library/react'
import { useState } from 'react'
import { afterEach, describe, expect, it } from 'vitest'
import { SluiceProvider } from './sluice-provider'
import { useEvent } from './use-event'

afterEach(cleanup)

const flush = () => act(async () => {})

// Module level (a component defined inside a test would be a new component on every call).
function Toasts({ client, seen, owner }: { client: FakeClient; seen: string[]; owner?: string }) {
  const [round, setRound] = useState(1)
  bump = () => setRound((n) => n + 1)
  useEvent(
    client,
    'orders',
    (event) => seen.push(`round ${round}: ${event.kind} ${event.key}`),
    // A new options object on every render: only a change of the filter's JSON subscribes again.
    owner === undefined ? {} : { filter: { field: 'owner', equals: owner } },
  )
  return null
}
let bump: () => void = () => {}

function ContextToasts({ seen }: { seen: string[] }) {
  useEvent('orders', (event) => seen.push(`${event.kind} ${event.key}`))
  return null
}

describe('useEvent', () => {
  it('calls the latest handler once per event, in order, on one subscription, until unmount', async () => {
    const fake = createFakeClient()
    const seen: string[] = []
    const { unmount } = render(<Toasts client={fake.client} seen={seen} />)
    act(() =>
      fake.sink('orders').pushEvents([created('orders', { id: 'a' }), created('orders', { id: 'b' })]),
    )
    await flush()
    act(() => bump())
    act(() => fake.sink('orders').pushEvents([created('orders', { id: 'c' })]))
    await flush()
    expect(seen).toEqual(['round 1: created a', 'round 1: created b', 'round 2: created c'])
    // One subscription throughout: a new render (and a new handler) does not subscribe again.
    expect(fake.calls).toEqual({ subscribe: 1, unsubscribe: 0 })
    unmount()
    expect(fake.calls).toEqual({ subscribe: 1, unsubscribe: 1 })
    expect(fake.refs('orders')).toBe(0)
  })

  it('subscribes with the filter, again only when its JSON changes', () => {
    const fake = createFakeClient()
    const seen: string[] = []
    const { rerender } = render(<Toasts client={fake.client} seen={seen} owner="ann" />)
    expect(fake.refs('orders', { field: 'owner', equals: 'ann' })).toBe(1)
    rerender(<Toasts client={fake.client} seen={seen} owner="ann" />)
    expect(fake.calls).toEqual({ subscribe: 1, unsubscribe: 0 })
    rerender(<Toasts client={fake.client} seen={seen} owner="bob" />)
    expect(fake.calls).toEqual({ subscribe: 2, unsubscribe: 1 })
    expect(fake.refs('orders', { field: 'owner', equals: 'bob' })).toBe(1)
  })

  it('uses the provider client without one', async () => {
    const fake = createFakeClient()
    const seen: string[] = []
    render(
      <SluiceProvider client={fake.client}>
        <ContextToasts seen={seen} />
      </SluiceProvider>,
    )
    act(() => fake.sink('orders').pushEvents([created('orders', { id: 'a' })]))
    await flush()
    expect(seen).toEqual(['created a'])
  })
})
