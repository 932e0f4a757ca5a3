import type { Json } from '@sluice/protocol'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import { afterEach, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { createClient, type SluiceClient } from '../../src/client'
import type { TransportKind } from '../../src/connection-state'
import { until } from './harness'

let server: TestServer | undefined
const clients: SluiceClient[] = []

afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  await server?.close()
  server = undefined
})

/** Resolves with the first `count` signals `name` brings to the client, as their data. */
function received(client: SluiceClient, name: string, count: number): Promise<Array<Json | undefined>> {
  const seen: Array<Json | undefined> = []
  return new Promise((resolve) => {
    const off = client.onSignal(name, (data) => {
      seen.push(data)
      if (seen.length < count) return
      off()
      resolve(seen)
    })
  })
}

describe.each<TransportKind>(['ws', 'sse'])('signals over %s against the real server', (transport) => {
  test("server.signal and POST /admin/signal reach every connection of the identity; another identity's handlers stay quiet", async () => {
    server = await createTestServer({
      authenticate: ({ token }) => (token ? { id: token } : null),
      adminKeys: ['admin-key'],
    })
    const connect = (token: string) => {
      const client = createClient({
        url: (server as TestServer).url,
        transports: [transport],
        WebSocket,
        token,
      })
      clients.push(client)
      return client
    }
    const [tab1, tab2, bob] = [connect('alice'), connect('alice'), connect('bob')]
    const bobSignals: Array<Json | undefined> = []
    bob.onSignal('invoice.ready', (data) => bobSignals.push(data))
    const inTab1 = received(tab1, 'invoice.ready', 2)
    const inTab2 = received(tab2, 'invoice.ready', 2)
    for (const client of [tab1, tab2, bob])
      await until(client.$connection, (s) => s.status === 'open', 'open')

    expect(await server.server.signal('alice', 'invoice.ready', { invoiceId: 'in_1' })).toBe(2)
    const response = await fetch(`${server.url}/admin/signal`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-key', 'content-type': 'application/json' },
      body: JSON.stringify({ identity: 'alice', name: 'invoice.ready' }),
    })
    expect([response.status, await response.json()]).toEqual([200, { reached: 2 }])

    expect(await inTab1).toEqual([{ invoiceId: 'in_1' }, undefined])
    expect(await inTab2).toEqual([{ invoiceId: 'in_1' }, undefined])
    // A round trip on bob's own connection: anything sent to bob before it has arrived.
    await bob.call('missing').catch(() => {})
    expect(bobSignals).toEqual([])
  })
})
