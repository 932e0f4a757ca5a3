import type { EventFrame } from '@sluice/protocol'
import { createMemoryEngine } from '@sluice/server-node'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import { afterEach, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { createClient, type SluiceClient } from '../../src/client'
import type { TransportKind } from '../../src/connection-state'
import { custom } from '../../src/merge/custom'
import { startDroppableServer, until } from './harness'

// `rewind` (PROTOCOL.md § Subscribe flows, flow 6) against the real server: the store starts with
// the log's last events, then live ones, each once and in order.
let server: TestServer | undefined
let client: SluiceClient | undefined

afterEach(async () => {
  client?.close()
  await server?.close()
  client = undefined
  server = undefined
})

const seqs = () => custom<number[]>((seen, event: EventFrame) => [...seen, event.seq], [])

async function publishMany(topic: string, count: number) {
  for (let n = 0; n < count; n++) await server?.server.publish(topic, { kind: 'created', key: `k${n}` })
}

describe.each<TransportKind>(['ws', 'sse'])('rewind over %s', (transport) => {
  const connect = (url: string) => createClient({ url, transports: [transport], WebSocket })

  test('the store receives the last 3 events first, then live events', async () => {
    server = await createTestServer()
    await publishMany('chat', 5)
    client = connect(server.url)
    const chat = client.subscribe('chat', { merge: seqs(), rewind: 3 })
    const rewound = await until(chat.$state, (s) => s.data.length === 3, 'the rewound events')
    expect(rewound).toMatchObject({ data: [3, 4, 5], position: { seq: 5 }, stale: null })
    await until(chat.$state, (s) => s.status === 'live', 'live')
    await publishMany('chat', 1)
    const live = await until(chat.$state, (s) => s.data.length === 4, 'the live event')
    expect(live.data).toEqual([3, 4, 5, 6])
  })

  test('a log holding fewer events than asked gives what it has: 2 of 10', async () => {
    server = await createTestServer({ engine: createMemoryEngine({ maxEvents: 2 }) })
    await publishMany('chat', 6)
    client = connect(server.url)
    const chat = client.subscribe('chat', { merge: seqs(), rewind: 10 })
    const state = await until(chat.$state, (s) => s.status === 'live' && s.data.length === 2, 'two events')
    expect(state.data).toEqual([5, 6])
  })

  test('a resume after a dropped connection replays from the position, not the rewind again', async () => {
    const droppable = await startDroppableServer({ rules: [{ topic: '**', subscribe: 'anyone' }] })
    try {
      for (let n = 0; n < 4; n++) await droppable.sluice.publish('chat', { kind: 'created' })
      client = connect(droppable.url)
      const chat = client.subscribe('chat', { merge: seqs(), rewind: 2 })
      await until(chat.$state, (s) => s.status === 'live' && s.data.length === 2, 'the rewound events')
      expect(droppable.drop()).toBeGreaterThan(0)
      await until(chat.$state, (s) => s.status === 'connecting', 'the drop')
      await droppable.sluice.publish('chat', { kind: 'created' })
      const state = await until(chat.$state, (s) => s.status === 'live' && s.data.length === 3, 'the replay')
      expect(state.data).toEqual([3, 4, 5])
    } finally {
      client?.close()
      await droppable.close()
    }
  })
})

test('development builds refuse a rewind the server would refuse, naming the topic and the bound', () => {
  client = createClient({ url: 'http://127.0.0.1:1/realtime', WebSocket })
  const merge = seqs()
  expect(() => client?.subscribe('chat', { merge, rewind: 1001 })).toThrow(
    'subscribe chat: options.rewind must be an integer from 0 to 1000, received 1001',
  )
  expect(() => client?.subscribe('chat', { merge, rewind: 2.5 })).toThrow(
    expect.objectContaining({ code: 'BAD_REQUEST', message: expect.stringContaining('received 2.5') }),
  )
})
