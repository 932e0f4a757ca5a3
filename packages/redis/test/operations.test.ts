/**
 * The server's operations API on two nodes sharing one Redis: what the admin endpoints do on
 * node A reaches connections held by node B (signals, disconnects) and reads the deployment's
 * shared state (presence, history), while the per-node answers (topics, counts) stay per node.
 */
import { createClient } from '@sluice/client'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { until } from '../../client/test/integration/harness'
import { ofType, WsPeer } from '../../server-node/test/helpers'
import { engineNodes } from './engine-nodes'
import { type RedisServer, startRedisServer } from './redis-server'

const ADMIN_KEY = 'admin-key-for-the-deployment'

let redis: RedisServer
const engines = engineNodes()
const servers: TestServer[] = []
const closers: Array<() => unknown> = []

beforeEach(async () => {
  redis = await startRedisServer()
})
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
  for (const server of servers.splice(0)) await server.close()
  await engines.closeAll()
  await redis.stop()
})

async function twoNodes() {
  const started: TestServer[] = []
  for (let i = 0; i < 2; i++) {
    const engine = await engines.node(redis.url)
    const server = await createTestServer({
      engine,
      adminKeys: [ADMIN_KEY],
      authenticate: ({ token }) => (token ? { id: token } : null),
    })
    servers.push(server)
    started.push(server)
  }
  return started as [TestServer, TestServer]
}

async function admin(node: TestServer, path: string, body?: unknown) {
  const response = await fetch(`${node.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as unknown }
}

describe('the operations API on many nodes', () => {
  it("a signal posted to node A reaches the identity's client on node B; A counts only its own connections", async () => {
    const [a, b] = await twoNodes()
    const client = createClient({ url: b.url, WebSocket, token: 'alice', transports: ['ws'] })
    closers.push(() => client.close())
    const received: unknown[] = []
    const arrived = new Promise<void>((resolve) => {
      client.onSignal('invoice.ready', (data) => {
        received.push(data)
        resolve()
      })
    })
    await until(client.$connection, (state) => state.status === 'open', 'open on node B')
    expect(
      await admin(a, '/admin/signal', { identity: 'alice', name: 'invoice.ready', data: { id: 7 } }),
    ).toEqual({
      status: 200,
      body: { reached: 0 },
    })
    await arrived
    expect(received).toEqual([{ id: 7 }])
  })

  it('a signal to one connection posted to node A reaches it on node B, and not its twin', async () => {
    const [a, b] = await twoNodes()
    const { peer: target, welcome } = await WsPeer.open(b.url, 'v=1&token=alice')
    const { peer: twin } = await WsPeer.open(b.url, 'v=1&token=alice')
    closers.push(
      () => target.ws.terminate(),
      () => twin.ws.terminate(),
    )
    expect(
      await admin(a, '/admin/signal', { connection: welcome.connectionId, name: 'only.you', data: 1 }),
    ).toEqual({
      status: 200,
      body: { reached: 1 },
    })
    expect(await target.next(ofType('signal'))).toEqual({ type: 'signal', name: 'only.you', data: 1 })
    // A node that is not running takes nothing: 0, and nothing arrives anywhere.
    const gone = `${welcome.connectionId.split('.')[0]}x.${welcome.connectionId.split('.')[1]}`
    expect(await admin(a, '/admin/signal', { connection: gone, name: 'lost' })).toEqual({
      status: 200,
      body: { reached: 0 },
    })
    twin.send({ type: 'ping', id: 'after' })
    await twin.next(ofType('pong'))
    expect(twin.frames.map((frame) => frame.type)).toEqual(['welcome', 'pong'])
  })

  it("a disconnect posted to node A closes the identity's connections on node B", async () => {
    const [a, b] = await twoNodes()
    const { peer } = await WsPeer.open(b.url, 'v=1&token=alice')
    closers.push(() => peer.ws.terminate())
    const body = { identity: 'alice', code: 'FORBIDDEN', message: 'account suspended' }
    expect(await admin(a, '/admin/disconnect', body)).toEqual({ status: 200, body: { disconnected: 0 } })
    expect(await peer.next(ofType('error'))).toEqual({
      type: 'error',
      code: 'FORBIDDEN',
      message: 'account suspended',
    })
    expect(await peer.closed).toEqual({ code: 4403, reason: 'FORBIDDEN' })
  })

  it('presence and history read on node A show what node B holds; topics list only the node asked', async () => {
    const [a, b] = await twoNodes()
    const { peer, welcome } = await WsPeer.open(b.url, 'v=1&token=alice')
    closers.push(() => peer.ws.terminate())
    peer.send([
      { type: 'subscribe', topic: 'room' },
      { type: 'setPresence', id: 'p', topic: 'room', state: { name: 'Ada' } },
    ])
    const subscribed = await peer.next(ofType('subscribed'))
    await peer.next(ofType('ack'))
    for (let i = 1; i <= 3; i++) await b.server.publish('room', { kind: 'created', key: `k${i}` })

    expect(await admin(a, '/admin/presence?topic=room')).toEqual({
      status: 200,
      body: {
        topic: 'room',
        occupancy: 1,
        members: [{ connectionId: welcome.connectionId, identity: 'alice', state: { name: 'Ada' } }],
      },
    })
    const { epoch } = subscribed as { epoch: string }
    const history = await admin(a, '/admin/history?topic=room&limit=2')
    expect(history.body).toMatchObject({ topic: 'room', epoch, head: 3, next: `${epoch}:2` })
    expect((history.body as { events: Array<{ key: string }> }).events.map((event) => event.key)).toEqual([
      'k1',
      'k2',
    ])
    expect((await admin(a, '/admin/topics')).body).toEqual({ topics: [] })
    expect((await admin(b, '/admin/topics')).body).toEqual({
      topics: [{ topic: 'room', epoch, seq: 3, subscribers: 1 }],
    })
  })
})
