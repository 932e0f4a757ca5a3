import { act, cleanup, render } from '@testing-library/react'
import { useState } from 'react'
import { afterEach, describe, expect, it } from 'vitest'
import { type SignalClient, useSignal } from './use-signal'

afterEach(cleanup)

/** A client stand-in that records its signal handlers, so a test can send signals by name. */
function signalClient() {
  const handlers = new Map<string, Set<(data: unknown) => void>>()
  const client: SignalClient = {
    onSignal: (name, handler) => {
      const set = handlers.get(name) ?? new Set()
      handlers.set(name, set)
      set.add(handler as (data: unknown) => void)
      return () => set.delete(handler as (data: unknown) => void)
    },
  }
  const send = (name: string, data: unknown) => {
    for (const handler of handlers.get(name) ?? []) handler(data)
  }
  const count = (name: string) => handlers.get(name)?.size ?? 0
  return { client, send, count }
}

// Module level (a component defined inside a test would be a new component on every call).
function Toasts({ client, seen }: { client: SignalClient; seen: string[] }) {
  const [round, setRound] = useState(1)
  bump = () => setRound((n) => n + 1)
  useSignal<{ id: number }>(client, 'invoice.ready', ({ id }) => seen.push(`round ${round}: ${id}`))
  return null
}
let bump: () => void = () => {}

describe('useSignal', () => {
  it('calls the latest handler with each signal of its name while mounted, and stops at unmount', () => {
    const fake = signalClient()
    const seen: string[] = []
    const { unmount } = render(<Toasts client={fake.client} seen={seen} />)
    act(() => fake.send('invoice.ready', { id: 1 }))
    act(() => bump())
    act(() => fake.send('invoice.ready', { id: 2 }))
    act(() => fake.send('other', { id: 3 }))
    // One listener throughout: a new render does not listen again.
    expect(fake.count('invoice.ready')).toBe(1)
    unmount()
    expect(fake.count('invoice.ready')).toBe(0)
    act(() => fake.send('invoice.ready', { id: 4 }))
    expect(seen).toEqual(['round 1: 1', 'round 2: 2'])
  })
})
