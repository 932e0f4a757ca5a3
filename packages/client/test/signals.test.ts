/**
 * `client.onSignal`, on the in-process fake server (test/fake-server.ts): handlers per signal
 * name in order, their removal, a throwing handler that loses nothing else, and the connect a
 * handler implies. Against the real server: test/integration/signals.test.ts.
 */
import type { Json } from '@sluice/protocol'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { ClientError } from '../src/client-error'
import { advance, event, seqLog, setup, useFakeTime } from './helpers'

beforeEach(useFakeTime)
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

describe('onSignal', () => {
  test.each(['ws', 'sse'] as const)(
    'hands each signal to the handlers of its name, in order, and ignores the others (%s)',
    async (transport) => {
      const { server, client } = setup({ transports: [transport] })
      const calls: Array<[string, Json | undefined]> = []
      client.onSignal('invoice.ready', (data) => calls.push(['first', data]))
      client.onSignal('invoice.ready', (data) => calls.push(['second', data]))
      client.onSignal('plan/changed', (data) => calls.push(['plan', data]))
      await advance(0)
      server.last.send({ type: 'signal', name: 'invoice.ready', data: { invoiceId: 'in_42' } })
      server.last.send({ type: 'signal', name: 'nobody.listens', data: 1 })
      server.last.send({ type: 'signal', name: 'plan/changed' })
      server.last.send({ type: 'signal', name: 'invoice.ready', data: null })
      await advance(0)
      expect(calls).toEqual([
        ['first', { invoiceId: 'in_42' }],
        ['second', { invoiceId: 'in_42' }],
        ['plan', undefined],
        ['first', null],
        ['second', null],
      ])
      client.close()
    },
  )

  test('the returned function removes that handler only; calling it again changes nothing', async () => {
    const { server, client } = setup()
    const calls: string[] = []
    const off = client.onSignal('n', () => calls.push('removed'))
    client.onSignal('n', () => calls.push('kept'))
    await advance(0)
    off()
    off()
    server.last.send({ type: 'signal', name: 'n' })
    await advance(0)
    expect(calls).toEqual(['kept'])
    client.close()
  })

  test('a throwing handler is reported, and neither the other handlers nor the rest of the batch are lost', async () => {
    // The client reports a handler's error by rethrowing it from a microtask: collect it there.
    const reported: unknown[] = []
    const queue = globalThis.queueMicrotask
    vi.stubGlobal('queueMicrotask', (task: () => void) =>
      queue(() => {
        try {
          task()
        } catch (error) {
          reported.push(error)
        }
      }),
    )
    const { server, client } = setup()
    const boom = new Error('handler bug')
    const calls: string[] = []
    client.onSignal('n', () => {
      throw boom
    })
    client.onSignal('n', () => calls.push('second handler'))
    const todos = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    server.last.send([
      { type: 'subscribed', id: server.last.frames[0]?.id as string, topic: 'todos', epoch: 'e1', seq: 0 },
      { type: 'signal', name: 'n' },
      event('todos', 1),
    ])
    await advance(0)
    expect(calls).toEqual(['second handler'])
    expect(reported).toEqual([boom])
    expect(todos.$state.get()).toMatchObject({ status: 'live', data: ['e1:1'] })
    client.close()
  })

  test('connects a lazy client, like a subscribe; a closed client refuses it with CLOSED', async () => {
    const { server, client } = setup({ lazy: true })
    await advance(0)
    expect(server.connections).toHaveLength(0)
    client.onSignal('n', () => {})
    await advance(0)
    expect(server.connections).toHaveLength(1)
    client.close()
    expect(() => client.onSignal('n', () => {})).toThrow(
      new ClientError('CLOSED', 'onSignal n: the client was closed'),
    )
  })
})
