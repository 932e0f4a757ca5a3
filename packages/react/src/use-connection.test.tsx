import { createFakeClient, type FakeClient } from '@sluice/client/testing'
import { act, cleanup, render, screen } from '@testing-library/react'
import { renderToString } from 'react-dom/server'
import { afterEach, describe, expect, it } from 'vitest'
import { SluiceProvider } from './sluice-provider'
import { useConnection } from './use-connection'

afterEach(cleanup)

function Badge({ client, renders }: { client: FakeClient; renders: string[] }) {
  const { status, transport } = useConnection(client)
  renders.push(status)
  return <span data-testid="badge">{`${status}/${transport ?? '-'}`}</span>
}

function ContextBadge() {
  const { status, attempt } = useConnection()
  return <span>{`${status}#${attempt}`}</span>
}

describe('useConnection', () => {
  it('follows client.$connection', () => {
    const fake = createFakeClient()
    const renders: string[] = []
    render(<Badge client={fake.client} renders={renders} />)
    expect(screen.getByTestId('badge').textContent).toBe('idle/-')
    act(() => fake.setConnection({ status: 'connecting', transport: 'ws' }))
    act(() => fake.setConnection({ status: 'open' }))
    expect(screen.getByTestId('badge').textContent).toBe('open/ws')
    expect(renders).toEqual(['idle', 'connecting', 'open'])
  })

  it('uses the provider client without an argument, and renders on the server', () => {
    const fake = createFakeClient()
    fake.setConnection({ status: 'reconnecting', attempt: 2 })
    const html = renderToString(
      <SluiceProvider client={fake.client}>
        <ContextBadge />
      </SluiceProvider>,
    )
    expect(html).toBe('<span>reconnecting#2</span>')
  })
})
