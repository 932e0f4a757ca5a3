import { createMemoryEngine } from '@sluice/server-node'
import { afterEach, describe, expect, test, vi } from 'vitest'
import WebSocket from 'ws'
import { createClient, type SluiceClient } from '../../src/client'
import type { TransportKind } from '../../src/connection-state'
import { custom } from '../../src/merge/custom'
import { startDroppableServer, until } from './harness'

let client: SluiceClient | undefined
const cleanup: Array<() => Promise<void>> = []

afterEach(async () => {
  client?.close()
  client = undefined
  for (const close of cleanup.splice(0)) await close()
})

// Records event data, and marks where a snapshot replaced the state.
const log = () =>
  custom<unknown[]>((state, event) => [...state, event.data], [], {
    fromSnapshot: (data) => [`snapshot:${JSON.stringify(data)}`],
  })

describe.each<TransportKind>(['ws', 'sse'])('server restart over %s', (transport) => {
  test('a new server on the same port: resync epoch_changed, then the snapshot, then live events', async () => {
    let generation = 1
    const options = () => ({ engine: createMemoryEngine(), snapshot: () => ({ generation }) })
    const first = await startDroppableServer(options())
    const onResync = vi.fn()
    client = createClient({
      url: first.url,
      transports: [transport],
      WebSocket,
      backoff: { baseMs: 20, maxMs: 100 },
    })
    const sub = client.subscribe('room', { merge: log(), snapshot: true, onResync })
    await until(sub.$state, (s) => s.status === 'live' && s.data.length === 1, 'the first snapshot')
    for (let i = 1; i <= 3; i++) await first.sluice.publish('room', { kind: 'message', data: i })
    await until(sub.$state, (s) => s.data.length === 4, 'three events')
    const epoch = sub.$state.get().position?.epoch

    await first.close()
    generation = 2
    const second = await startDroppableServer(options(), first.port)
    cleanup.push(() => second.close())

    const resynced = await until(
      sub.$state,
      (s) => s.status === 'live' && s.position?.epoch !== epoch,
      'the resync',
    )
    expect(onResync.mock.calls).toEqual([['epoch_changed']])
    expect(resynced.data).toEqual(['snapshot:{"generation":2}'])
    await second.sluice.publish('room', { kind: 'message', data: 'after restart' })
    const state = await until(sub.$state, (s) => s.data.length === 2, 'a live event')
    expect(state.data).toEqual(['snapshot:{"generation":2}', 'after restart'])
    expect(state.position).toEqual({ epoch: expect.any(String), seq: 1 })
  })
})
