/**
 * What a new user hit by trying the client against the real server (issue #14), each as it
 * showed: an oversized publish looping through reconnects, a client not seeing itself in
 * presence over SSE, stores that stayed `idle` after a refused connect.
 */
import { ServerError, type SluiceServerOptions } from '@sluice/server-node'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import { afterEach, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { createClient, type SluiceClient } from '../../src/client'
import { ClientError } from '../../src/client-error'
import type { TransportKind } from '../../src/connection-state'
import { latest } from '../../src/merge/latest'
import { presence } from '../../src/merge/presence'
import { until } from './harness'

let server: TestServer | undefined
let client: SluiceClient | undefined

afterEach(async () => {
  client?.close()
  client = undefined
  await server?.close()
  server = undefined
})

const open: SluiceServerOptions = {
  rules: [{ topic: '**', subscribe: 'anyone', publish: 'anyone', presence: 'anyone' }],
}

describe.each<TransportKind>(['ws', 'sse'])('over %s', (transport) => {
  const connect = (url: string) => createClient({ url, transports: [transport], WebSocket })

  test('a publish over the welcome’s maxFrameBytes is refused with LIMIT_EXCEEDED, unsent; the connection stays', async () => {
    server = await createTestServer({ ...open, limits: { maxFrameBytes: 4096 } })
    client = connect(server.url)
    const feed = client.subscribe('feed', { merge: latest() })
    await until(feed.$state, (s) => s.status === 'live', 'live')
    const error = await client
      .publish('feed', { kind: 'created', data: 'x'.repeat(5000) }, { id: 'big' })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ClientError)
    expect(error).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      message: expect.stringMatching(
        /^publish big to feed: the publish frame is \d+ bytes, over the server's maxFrameBytes \(4096\)$/,
      ),
      topic: 'feed',
    })
    // Nothing was sent that the server had to refuse: the same connection carries the next one.
    expect(client.$connection.get()).toMatchObject({ status: 'open', attempt: 0, error: null })
    await expect(client.publish('feed', { kind: 'created', data: 'small' })).resolves.toMatchObject({
      seq: 1,
    })
  })

  test('a client sees itself in presence when it sets it right after subscribing', async () => {
    server = await createTestServer(open)
    client = connect(server.url)
    const members = client.subscribe('doc', { merge: presence(), presence: true })
    // Before the connection is open, as a React effect or Vue onMounted does it.
    client.setPresence('doc', { name: 'me' })
    const state = await until(members.$state, (s) => s.data.items.length === 1, 'itself in presence')
    expect(state.data.items).toEqual([
      { connectionId: expect.any(String), identity: null, state: { name: 'me' } },
    ])
  })
})

test('a connection refused for good puts every store in error with the reason', async () => {
  server = await createTestServer({
    authenticate: () => {
      throw new ServerError('UNAUTHORIZED', 'invalid token')
    },
  })
  // Browsers cannot see why a WebSocket upgrade failed; the SSE fallback learns the reason.
  client = createClient({ url: server.url, WebSocket, token: 'bad' })
  const feed = client.subscribe('feed', { merge: latest() })
  await until(client.$connection, (s) => s.status === 'closed', 'closed')
  expect(feed.$state.get()).toMatchObject({
    status: 'error',
    error: { code: 'UNAUTHORIZED', message: 'invalid token' },
  })
})
