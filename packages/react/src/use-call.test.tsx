import { type CallOptions, ClientError } from '@sluice/client'
import { act, cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { SluiceProvider } from './sluice-provider'
import { type CallClient, type UseCallResult, useCall } from './use-call'

afterEach(cleanup)

interface Stats {
  open: number
}

/** A client stand-in whose calls each test settles, one deferred per call. */
function callClient() {
  const sent: {
    name: string
    args: unknown
    options: CallOptions | undefined
    resolve: (r: unknown) => void
    reject: (e: Error) => void
  }[] = []
  const client: CallClient = {
    call: (name, args, options) =>
      new Promise((resolve, reject) => {
        sent.push({ name, args, options, resolve, reject })
      }),
  }
  return { client, sent }
}

let hook: UseCallResult<Stats>

function StatsButton({ client }: { client: CallClient }) {
  hook = useCall<Stats>(client, 'todos.stats')
  const { isPending, error, data } = hook
  return <p data-testid="state">{`${isPending} ${error?.code ?? '-'} ${data?.open ?? '-'}`}</p>
}

function ContextStats() {
  hook = useCall<Stats>('todos.stats')
  return null
}

const state = () => screen.getByTestId('state').textContent

describe('useCall', () => {
  it('calls the procedure with its arguments and options and tracks the latest call', async () => {
    const { client, sent } = callClient()
    render(<StatsButton client={client} />)
    expect(state()).toBe('false - -')
    act(() => hook.call({ owner: 'ann' }, { fresh: true }))
    expect(state()).toBe('true - -')
    expect(sent.map(({ name, args, options }) => [name, args, options])).toEqual([
      ['todos.stats', { owner: 'ann' }, { fresh: true }],
    ])
    await act(async () => sent[0]!.resolve({ open: 3 }))
    expect(state()).toBe('false - 3')
    act(() => hook.call({ owner: 'bob' }))
    await act(async () =>
      sent[1]!.reject(new ClientError('NOT_FOUND', 'call todos.stats: no such procedure')),
    )
    // The last result stays beside the newer call's error, until reset.
    expect(state()).toBe('false NOT_FOUND 3')
    act(() => hook.reset())
    expect(state()).toBe('false - -')
  })

  it('callAsync resolves with the result; the provider client serves the client-less form', async () => {
    const { client, sent } = callClient()
    render(
      <SluiceProvider client={client as never}>
        <ContextStats />
      </SluiceProvider>,
    )
    let result: Promise<Stats> = Promise.resolve({ open: -1 })
    act(() => {
      result = hook.callAsync()
    })
    await act(async () => sent[0]!.resolve({ open: 7 }))
    await expect(result).resolves.toEqual({ open: 7 })
    expect(hook.data).toEqual({ open: 7 })
    expect(sent.map(({ name, args }) => [name, args])).toEqual([['todos.stats', undefined]])
  })
})
