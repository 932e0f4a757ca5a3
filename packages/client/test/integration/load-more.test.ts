import { createMemoryEngine } from '@sluice/server-node'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import { afterEach, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { createClient, type SluiceClient } from '../../src/client'
import type { TransportKind } from '../../src/connection-state'
import { crud } from '../../src/merge/crud'
import { latest } from '../../src/merge/latest'
import { startDroppableServer, until } from './harness'

// `loadMore()` against the real server (PROTOCOL.md § history): older pages of the log merged
// under the store, until the server says why nothing older comes.
type Todo = { id: string; title: string }

let server: TestServer | undefined
let client: SluiceClient | undefined

afterEach(async () => {
  client?.close()
  await server?.close()
  client = undefined
  server = undefined
})

async function publish(topic: string, kind: string, id: string, title = id) {
  await server?.server.publish(topic, { kind, key: id, data: { id, title } })
}

describe.each<TransportKind>(['ws', 'sse'])('loadMore over %s', (transport) => {
  const connect = (url: string) => createClient({ url, transports: [transport], WebSocket })

  test('latest: pages back to the log start, older entries first, then hasMore false with log_start', async () => {
    server = await createTestServer()
    for (const n of [1, 2, 3, 4, 5]) await publish('chat', 'created', `m${n}`)
    client = connect(server.url)
    const chat = client.subscribe('chat', { merge: latest<Todo>({ size: 10 }), rewind: 1 })
    await until(chat.$state, (s) => s.status === 'live' && s.data.length === 1, 'the rewound message')
    expect(chat.$history.get()).toEqual({ hasMore: true, loading: false, end: null })
    const loading = chat.loadMore(2)
    expect(chat.$history.get()).toEqual({ hasMore: true, loading: true, end: null })
    expect(await loading).toBe(null)
    expect(chat.$state.get().data.map((m) => m.id)).toEqual(['m3', 'm4', 'm5'])
    expect(await chat.loadMore(2)).toBe('log_start')
    expect(chat.$state.get().data.map((m) => m.id)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5'])
    expect(chat.$history.get()).toEqual({ hasMore: false, loading: false, end: 'log_start' })
    // Nothing older: no command, the same answer.
    expect(await chat.loadMore()).toBe('log_start')
  })

  test('crud: older items go before the newer ones; a key the store saw later (a delete included) is not brought back', async () => {
    server = await createTestServer()
    await publish('todos', 'created', 'a', 'A old')
    await publish('todos', 'created', 'b', 'B')
    await publish('todos', 'created', 'c', 'C')
    client = connect(server.url)
    const todos = client.subscribe('todos', { merge: crud<Todo>() })
    await until(todos.$state, (s) => s.status === 'live', 'live')
    await publish('todos', 'updated', 'a', 'A new')
    await publish('todos', 'deleted', 'b')
    await until(todos.$state, (s) => s.position?.seq === 5, 'the live events')
    expect(todos.$state.get().data.items).toEqual([{ id: 'a', title: 'A new' }])
    expect(await todos.loadMore()).toBe('log_start')
    expect(todos.$state.get().data.items).toEqual([
      { id: 'c', title: 'C' },
      { id: 'a', title: 'A new' },
    ])
    expect(todos.$state.get().position).toEqual({ epoch: expect.any(String), seq: 5 })
  })

  test('a ring that evicted the rest ends with too_old and what it still holds', async () => {
    server = await createTestServer({ engine: createMemoryEngine({ maxEvents: 3 }) })
    for (const n of [1, 2, 3, 4, 5, 6]) await publish('chat', 'created', `m${n}`)
    client = connect(server.url)
    const chat = client.subscribe('chat', { merge: latest<Todo>(), rewind: 1 })
    await until(chat.$state, (s) => s.status === 'live' && s.data.length === 1, 'the rewound message')
    expect(await chat.loadMore(5)).toBe('too_old')
    expect(chat.$state.get().data.map((m) => m.id)).toEqual(['m4', 'm5', 'm6'])
    expect(chat.$history.get()).toEqual({ hasMore: false, loading: false, end: 'too_old' })
  })

  test('a store filled by a snapshot has nothing to page: the snapshot holds the past', async () => {
    server = await createTestServer({ snapshot: () => [{ id: 'a', title: 'A' }] })
    await publish('todos', 'created', 'x')
    client = connect(server.url)
    const todos = client.subscribe('todos', { merge: crud<Todo>(), snapshot: true })
    await until(todos.$state, (s) => s.status === 'live', 'live')
    expect(todos.$history.get()).toEqual({ hasMore: false, loading: false, end: null })
    expect(await todos.loadMore()).toBe(null)
    expect(todos.$state.get().data.items).toEqual([{ id: 'a', title: 'A' }])
  })

  test('refused where subscribing is: the promise rejects with FORBIDDEN naming the topic', async () => {
    server = await createTestServer({
      authorize: (_identity, topic, action) => !(action === 'subscribe' && topic === 'secret' && seen++ > 0),
    })
    let seen = 0
    await publish('secret', 'created', 'a')
    client = connect(server.url)
    const secret = client.subscribe('secret', { merge: latest<Todo>() })
    await until(secret.$state, (s) => s.status === 'live', 'live')
    await expect(secret.loadMore()).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/^loadMore secret: /),
    })
    expect(secret.$history.get()).toEqual({ hasMore: true, loading: false, end: null })
  })
})

test('a page asked for while the connection is down goes out on the next one (a read, safe to send again)', async () => {
  const droppable = await startDroppableServer()
  try {
    for (const n of [1, 2, 3]) {
      await droppable.sluice.publish('chat', {
        kind: 'created',
        key: `m${n}`,
        data: { id: `m${n}`, title: '' },
      })
    }
    client = createClient({
      url: droppable.url,
      transports: ['ws'],
      WebSocket,
      backoff: { baseMs: 5, factor: 1, maxMs: 5 },
    })
    const chat = client.subscribe('chat', { merge: latest<Todo>(), rewind: 1 })
    await until(chat.$state, (s) => s.status === 'live' && s.data.length === 1, 'the rewound message')
    droppable.refuseWebSocket(true)
    droppable.drop()
    await until(chat.$state, (s) => s.status === 'connecting', 'the drop')
    const page = chat.loadMore()
    expect(chat.$history.get()).toEqual({ hasMore: true, loading: true, end: null })
    droppable.refuseWebSocket(false)
    expect(await page).toBe('log_start')
    expect(chat.$state.get().data.map((m) => m.id)).toEqual(['m1', 'm2', 'm3'])
  } finally {
    client?.close()
    client = undefined
    await droppable.close()
  }
})
