import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import { afterEach, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { createClient, type SluiceClient } from '../../src/client'
import { ClientError } from '../../src/client-error'
import type { TransportKind } from '../../src/connection-state'
import { crud } from '../../src/merge/crud'
import { presence } from '../../src/merge/presence'
import { until } from './harness'

type Todo = { id: string; title: string }

let server: TestServer | undefined
let client: SluiceClient | undefined
let other: SluiceClient | undefined

afterEach(async () => {
  client?.close()
  other?.close()
  other = undefined
  await server?.close()
  client = undefined
  server = undefined
})

describe.each<TransportKind>(['ws', 'sse'])('over %s against the real server', (transport) => {
  const connect = (url: string) => createClient({ url, transports: [transport], WebSocket })

  test('subscribe with a snapshot, then live events in order', async () => {
    server = await createTestServer({ snapshot: () => [{ id: 'a', title: 'from snapshot' }] })
    client = connect(server.url)
    const todos = client.subscribe('todos', { merge: crud<Todo>(), snapshot: true })
    await until(todos.$state, (s) => s.status === 'live' && s.data.items.length === 1, 'the snapshot')
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport })
    await server.server.publish('todos', { kind: 'created', key: 'b', data: { id: 'b', title: 'B' } })
    await server.server.publish('todos', { kind: 'updated', key: 'a', data: { id: 'a', title: 'A2' } })
    const state = await until(todos.$state, (s) => s.position?.seq === 2, 'two events')
    expect(state.data.items).toEqual([
      { id: 'a', title: 'A2' },
      { id: 'b', title: 'B' },
    ])
  })

  test('publish is acknowledged with its position and reaches subscribers once; a retry is a duplicate', async () => {
    server = await createTestServer({ rules: [{ topic: 'todos', subscribe: 'anyone', publish: 'anyone' }] })
    client = connect(server.url)
    const todos = client.subscribe('todos', { merge: crud<Todo>() })
    await until(todos.$state, (s) => s.status === 'live', 'live')
    const first = await client.publish(
      'todos',
      { kind: 'created', key: 'x', data: { id: 'x', title: 'X' } },
      { id: 'p-1' },
    )
    expect(first).toEqual({ epoch: expect.any(String), seq: 1, duplicate: false })
    const again = await client.publish(
      'todos',
      { kind: 'created', key: 'x', data: { id: 'x', title: 'X' } },
      { id: 'p-1' },
    )
    expect(again).toEqual({ ...first, duplicate: true })
    const state = await until(todos.$state, (s) => s.position?.seq === 1, 'the event')
    expect(state.data.items).toEqual([{ id: 'x', title: 'X' }])
  })

  test('a publish with echo: false reaches the other connections but not its own', async () => {
    server = await createTestServer({ rules: [{ topic: 'todos', subscribe: 'anyone', publish: 'anyone' }] })
    client = connect(server.url)
    other = connect(server.url)
    const mine = client.subscribe('todos', { merge: crud<Todo>() })
    const theirs = other.subscribe('todos', { merge: crud<Todo>() })
    await until(mine.$state, (s) => s.status === 'live', 'mine live')
    await until(theirs.$state, (s) => s.status === 'live', 'theirs live')
    const quiet = await client.publish(
      'todos',
      { kind: 'created', key: 'q', data: { id: 'q', title: 'quiet' } },
      { echo: false },
    )
    const loud = await client.publish('todos', {
      kind: 'created',
      key: 'l',
      data: { id: 'l', title: 'loud' },
    })
    expect([quiet.seq, loud.seq]).toEqual([1, 2])
    const seen = await until(theirs.$state, (s) => s.position?.seq === 2, 'both events elsewhere')
    expect(seen.data.items.map((todo) => todo.id)).toEqual(['q', 'l'])
    // The sender got only the second event: the first one is a gap in its stream, as with a filter.
    const own = await until(mine.$state, (s) => s.position?.seq === 2, 'the echoed event')
    expect(own.data.items.map((todo) => todo.id)).toEqual(['l'])
  })

  test('calls: result, NOT_FOUND, VALIDATION with issues', async () => {
    server = await createTestServer({
      rules: [{ procedure: '*', call: 'anyone' }],
      procedures: {
        add: (args: { a: number; b: number }) => args.a + args.b,
        rename: {
          input: {
            '~standard': {
              version: 1,
              vendor: 'test',
              validate: (value: unknown) =>
                typeof (value as { title?: unknown })?.title === 'string' &&
                (value as { title: string }).title.length > 0
                  ? { value }
                  : { issues: [{ message: 'title is required', path: ['title'] }] },
            },
          },
          handler: () => 'renamed',
        },
      },
    })
    client = connect(server.url)
    await expect(client.call('add', { a: 2, b: 3 })).resolves.toBe(5)
    const missing = await client.call('nope').catch((error: ClientError) => error)
    expect(missing).toBeInstanceOf(ClientError)
    expect((missing as ClientError).code).toBe('NOT_FOUND')
    const invalid = (await client
      .call('rename', { title: '' })
      .catch((error: ClientError) => error)) as ClientError
    expect(invalid.code).toBe('VALIDATION')
    expect(invalid.issues).toEqual([{ message: 'title is required', path: ['title'] }])
    await expect(client.call('rename', { title: 'ok' })).resolves.toBe('renamed')
  })

  test('presence: a sync, then join with the state, then leave when the other client closes', async () => {
    server = await createTestServer()
    client = connect(server.url)
    other = connect(server.url)
    const here = client.subscribe('doc', { merge: presence(), presence: true })
    await until(here.$state, (s) => s.status === 'live', 'live')
    other.subscribe('doc', { merge: crud() })
    other.setPresence('doc', { name: 'bea' })
    const joined = await until(here.$state, (s) => s.data.items.length === 1, 'the join')
    expect(joined.data.items).toEqual([
      { connectionId: expect.any(String), identity: null, state: { name: 'bea' } },
    ])
    other.close()
    await until(here.$state, (s) => s.data.items.length === 0, 'the leave')
  })
})
