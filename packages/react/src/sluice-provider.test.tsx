import { createFakeClient } from '@sluice/client/testing'
import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { SluiceProvider, useClient } from './sluice-provider'

afterEach(cleanup)

function Same({ expected }: { expected: unknown }) {
  const client = useClient()
  return <p data-testid="same">{String(client === expected)}</p>
}

function Optional() {
  const client = useClient(false)
  return <p data-testid="optional">{String(client)}</p>
}

function Required() {
  useClient()
  return null
}

describe('useClient', () => {
  it('returns the provided client object itself', () => {
    const fake = createFakeClient()
    render(
      <SluiceProvider client={fake.client}>
        <Same expected={fake.client} />
      </SluiceProvider>,
    )
    expect(screen.getByTestId('same').textContent).toBe('true')
  })

  it('returns null without a provider when not required, and throws naming the provider when required', () => {
    render(<Optional />)
    expect(screen.getByTestId('optional').textContent).toBe('null')
    // React logs the error it rethrows; the assertion is on the thrown message.
    const error = console.error
    console.error = () => {}
    try {
      expect(() => render(<Required />)).toThrow(
        'No Sluice client here: wrap the tree in <SluiceProvider client={createClient(...)}> or pass the client to the hook.',
      )
    } finally {
      console.error = error
    }
  })
})
