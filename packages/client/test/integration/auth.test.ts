import { ServerError } from '@sluice/server-node'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import { afterEach, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { createClient, type SluiceClient } from '../../src/client'
import type { TransportKind } from '../../src/connection-state'
import { until } from './harness'

let server: TestServer | undefined
let client: SluiceClient | undefined

afterEach(async () => {
  client?.close()
  await server?.close()
  client = undefined
  server = undefined
})

// Tokens are `<user>.<expiresAt>`; anything else is refused.
const authenticate = ({ token }: { token: string | undefined }) => {
  const [id, expires] = (token ?? '').split('.')
  if (!id || id === 'bad' || !expires) throw new ServerError('UNAUTHORIZED', 'invalid token')
  return { id, expiresAt: Number(expires) }
}

describe.each<TransportKind>(['ws', 'sse'])('tokens over %s against the real server', (transport) => {
  test('short-lived tokens are refreshed over the open connection, which stays up', async () => {
    server = await createTestServer({ authenticate })
    const connects: string[] = []
    const disconnects: string[] = []
    let issued = 0
    let thirdRefresh!: () => void
    const refreshedThrice = new Promise<void>((resolve) => (thirdRefresh = resolve))
    client = createClient({
      url: server.url,
      transports: [transport],
      WebSocket,
      // Each token lives 1.5 s: refreshed at 80% of that, long before the server would end the connection.
      getToken: () => {
        if (++issued === 4) thirdRefresh()
        return `ann.${Date.now() + 1500}`
      },
      onConnect: ({ welcome }) => connects.push(welcome.identity ?? 'anonymous'),
      onDisconnect: ({ error }) => disconnects.push(error?.code ?? 'none'),
      lazy: false,
    })
    await until(client.$connection, (s) => s.status === 'open', 'open')
    const start = Date.now()
    await refreshedThrice
    // Three refreshes took over three token lifetimes' worth of 80%: the old tokens expired meanwhile.
    expect(Date.now() - start).toBeGreaterThanOrEqual(3 * 1200 - 100)
    expect(connects).toEqual(['ann'])
    expect(disconnects).toEqual([])
    expect(client.$connection.get().status).toBe('open')
  }, 15_000)

  test('a token the server refuses: one retry with a fresh token, then closed with UNAUTHORIZED', async () => {
    server = await createTestServer({ authenticate })
    let issued = 0
    client = createClient({
      url: server.url,
      // Browsers cannot see why a WebSocket upgrade failed; SSE as fallback reports the reason.
      transports: transport === 'ws' ? ['ws', 'sse'] : ['sse'],
      WebSocket,
      getToken: () => {
        issued++
        return 'bad'
      },
      lazy: false,
    })
    const state = await until(client.$connection, (s) => s.status === 'closed', 'closed')
    expect(state.error).toMatchObject({ code: 'UNAUTHORIZED', message: 'invalid token' })
    expect(issued).toBe(2)
  })
})
