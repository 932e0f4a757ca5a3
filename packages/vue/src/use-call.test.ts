import { type CallOptions, ClientError } from '@sluice/client'
import { describe, expect, it } from 'vitest'
import { ref } from 'vue'
import { type CallClient, useCall } from './use-call'

/** A client stand-in whose calls wait until the test settles them. */
function callClient() {
  const pending: {
    args: [string, unknown, CallOptions | undefined]
    resolve: (result: unknown) => void
    reject: (error: Error) => void
  }[] = []
  const client: CallClient = {
    call: (name, args, options) =>
      new Promise((resolve, reject) => {
        pending.push({ args: [name, args, options], resolve, reject })
      }),
  }
  return { client, pending }
}

describe('useCall', () => {
  it('calls the procedure named at each call and tracks pending, result and error', async () => {
    const fake = callClient()
    const name = ref('todos.stats')
    const stats = useCall<{ open: number }>(fake.client, name)
    expect([stats.isPending.value, stats.error.value, stats.data.value]).toEqual([false, null, undefined])

    const first = stats.call({ list: 'home' }, { fresh: true })
    expect(stats.isPending.value).toBe(true)
    fake.pending[0]?.resolve({ open: 3 })
    expect(await first).toEqual({ open: 3 })
    expect([stats.isPending.value, stats.error.value, stats.data.value]).toEqual([false, null, { open: 3 }])

    name.value = 'todos.missing'
    const second = stats.call()
    const missing = new ClientError('NOT_FOUND', 'call todos.missing: no such procedure')
    fake.pending[1]?.reject(missing)
    expect(await second).toBe(undefined)
    expect([stats.isPending.value, stats.error.value, stats.data.value]).toEqual([
      false,
      missing,
      { open: 3 },
    ])
    expect(fake.pending.map(({ args }) => args)).toEqual([
      ['todos.stats', { list: 'home' }, { fresh: true }],
      ['todos.missing', undefined, undefined],
    ])

    stats.reset()
    expect([stats.isPending.value, stats.error.value, stats.data.value]).toEqual([false, null, undefined])
  })

  it('wraps a rejection that is not an Error in one', async () => {
    const fake = { call: () => Promise.reject('boom') } satisfies CallClient
    const stats = useCall(fake, 'todos.stats')
    await stats.call()
    expect(stats.error.value).toEqual(new Error('boom'))
  })
})
