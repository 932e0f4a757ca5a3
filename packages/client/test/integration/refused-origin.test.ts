// A page whose origin the server does not allow, against the real server: the WebSocket upgrade
// is refused (a browser only sees it drop), the SSE fallback reads 403 FORBIDDEN, and the client
// stops there for good with the server's reason, instead of retrying. Node sends the Origin a
// browser would send through the injected WebSocket and fetch.
import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import { afterEach, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { createClient, type SluiceClient } from '../../src/client'
import { ClientError } from '../../src/client-error'
import type { ConnectionStatus, TransportKind } from '../../src/connection-state'
import type { FetchLike } from '../../src/transport/sse'
import { until } from './harness'

const REFUSED = 'https://evil.example'

let server: TestServer | undefined
let client: SluiceClient | undefined

afterEach(async () => {
  client?.close()
  await server?.close()
  client = undefined
  server = undefined
})

/** A WebSocket and a fetch that send `origin`, as a browser page does, and count their attempts. */
function fromOrigin(origin: string) {
  const attempts: Record<TransportKind, number> = { ws: 0, sse: 0 }
  class PageWebSocket extends WebSocket {
    constructor(url: string) {
      attempts.ws++
      super(url, { origin })
    }
  }
  const fetch: FetchLike = (input, init) => {
    if (new URL(input).pathname.endsWith('/sse')) attempts.sse++
    return globalThis.fetch(input, { ...init, headers: { ...(init.headers as object), origin } })
  }
  return { attempts, WebSocket: PageWebSocket, fetch }
}

describe('a page from a refused origin', () => {
  test.each([
    ['without a token', undefined],
    ['with a token', () => 'user-1'],
  ])('%s: one WebSocket attempt, one SSE attempt, then closed with FORBIDDEN', async (_name, getToken) => {
    let authenticated = 0
    server = await createTestServer({
      allowedOrigins: ['https://app.example.com'],
      authenticate: ({ token }) => {
        authenticated++
        return token === undefined ? null : { id: token }
      },
    })
    const page = fromOrigin(REFUSED)
    client = createClient({
      url: server.url,
      WebSocket: page.WebSocket,
      fetch: page.fetch,
      getToken,
      lazy: false,
    })
    const statuses: ConnectionStatus[] = []
    client.$connection.subscribe((state) => {
      if (statuses.at(-1) !== state.status) statuses.push(state.status)
    })
    const state = await until(client.$connection, (s) => s.status === 'closed', 'closed')
    // Straight from connecting to closed: no reconnect was ever scheduled.
    expect(statuses).toEqual(['connecting', 'closed'])
    expect(state).toMatchObject({ status: 'closed', attempt: 0, nextRetryAt: null })
    expect(state.error).toBeInstanceOf(ClientError)
    expect(state.error).toMatchObject({ code: 'FORBIDDEN', message: 'this origin is not allowed' })
    expect(page.attempts).toEqual({ ws: 1, sse: 1 })
    expect(authenticated).toBe(0)
    expect(server.server.stats().connections).toBe(0)
  })

  test('an allowed origin connects with the same client code', async () => {
    server = await createTestServer({ allowedOrigins: ['https://app.example.com'] })
    const page = fromOrigin('https://app.example.com')
    client = createClient({ url: server.url, WebSocket: page.WebSocket, fetch: page.fetch, lazy: false })
    await until(client.$connection, (s) => s.status === 'open', 'open')
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: 'ws', error: null })
    expect(page.attempts).toEqual({ ws: 1, sse: 0 })
  })
})
