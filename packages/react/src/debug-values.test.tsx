import { ClientError } from '@sluice/client'
import { createFakeClient } from '@sluice/client/testing'
import { act, cleanup, render } from '@testing-library/react'
import { useDebugValue } from 'react'
import { afterEach, expect, test, vi } from 'vitest'
import type { RealtimeClient } from './realtime-client'
import { useConnection } from './use-connection'
import { type PresenceClient, usePresence } from './use-presence'

// What React DevTools shows beside useConnection and usePresence: the formatter each passes to
// useDebugValue, applied to the value it passes (React calls it only while DevTools inspects).
vi.mock('react', async (importOriginal) => ({
  ...(await importOriginal<typeof import('react')>()),
  useDebugValue: vi.fn(),
}))

afterEach(cleanup)

function Badge({ client }: { client: RealtimeClient }) {
  useConnection(client)
  return null
}

function Avatars({ client }: { client: PresenceClient }) {
  usePresence(client, 'doc:7')
  return null
}

const shown = () =>
  vi.mocked(useDebugValue).mock.calls.map(([value, format]) => (format ? format(value) : String(value)))

test('useConnection shows its status and transport', () => {
  const fake = createFakeClient()
  fake.setConnection({
    status: 'reconnecting',
    attempt: 2,
    error: new ClientError('NETWORK', 'socket closed'),
  })
  render(<Badge client={fake.client} />)
  expect(shown()).toEqual(['reconnecting '])
  act(() => fake.setConnection({ status: 'open', transport: 'ws', attempt: 0, error: null }))
  expect(shown()).toEqual(['reconnecting ', 'open ws'])
})

test('usePresence shows its member count and this connection', async () => {
  const fake = createFakeClient()
  const client = { ...fake.client, setPresence: () => {} }
  render(<Avatars client={client} />)
  expect(shown().at(-1)).toBe('0 members')
  const self = { connectionId: 'c1', identity: 'ann' }
  act(() => {
    fake.setConnection({ status: 'open', transport: 'ws', connectionId: 'c1' })
    fake
      .sink('doc:7', undefined, true)
      .pushEvents([
        { type: 'event', topic: 'doc:7', epoch: 'e1', seq: 1, kind: 'join', key: 'c1', data: self, ts: 0 },
      ])
  })
  await act(() => Promise.resolve())
  expect(shown().at(-1)).toBe('1 members, self c1')
})
