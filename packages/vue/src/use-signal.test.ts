import { describe, expect, it } from 'vitest'
import { effectScope } from 'vue'
import { type SignalClient, useSignal } from './use-signal'

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
  return { client, send, count: (name: string) => handlers.get(name)?.size ?? 0 }
}

describe('useSignal', () => {
  it('calls the handler for each signal of its name until the scope stops', () => {
    const fake = signalClient()
    const seen: unknown[] = []
    const scope = effectScope()
    scope.run(() => useSignal<{ id: number }>(fake.client, 'invoice.ready', ({ id }) => seen.push(id)))
    fake.send('invoice.ready', { id: 1 })
    fake.send('other', { id: 2 })
    expect(fake.count('invoice.ready')).toBe(1)
    scope.stop()
    expect(fake.count('invoice.ready')).toBe(0)
    fake.send('invoice.ready', { id: 3 })
    expect(seen).toEqual([1])
  })
})
