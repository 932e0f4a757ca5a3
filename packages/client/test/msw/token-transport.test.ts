/**
 * How a token travels, on msw's stand-ins for the real globals: the client's default WebSocket
 * puts it in the URL's `token` query parameter (browsers cannot set headers on a WebSocket),
 * its fetch-based SSE in an `Authorization: Bearer` header only, and a refresh over SSE is a
 * command POST with the stream's `sluice-key`. These are the boundary's; when a refresh is
 * sent and what a refused or hanging one does is behaviour: test/token-refresh.test.ts.
 */
import { describe, expect, test, vi } from 'vitest'
import { advance, START, useMockNetwork } from './setup'

const net = useMockNetwork()

/** A token source that counts: t1, t2, ... */
const counter = () => {
  let n = 0
  return vi.fn(async () => `t${++n}`)
}

describe('tokens', () => {
  test('getToken is called once per connect; WS carries it in the URL, SSE in Authorization only', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const getToken = counter()
    const client = net.client({ getToken })
    await advance(0)
    expect(getToken).toHaveBeenCalledTimes(1)
    sluice.last.close(1006)
    await advance(250)
    expect(getToken).toHaveBeenCalledTimes(2)
    sluice.answer('ws', 'refuse')
    sluice.last.close(1006)
    await advance(250)
    // One token for the whole attempt: the SSE fallback reuses the one the refused WS got.
    expect(getToken).toHaveBeenCalledTimes(3)
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: 'sse' })
    expect(sluice.connections.map((c) => [c.kind, c.token, c.url.toString()])).toEqual([
      ['ws', 't1', 'ws://sluice.test/realtime/ws?v=1&token=t1'],
      ['ws', 't2', 'ws://sluice.test/realtime/ws?v=1&token=t2'],
      ['sse', 't3', 'http://sluice.test/realtime/sse?v=1'],
    ])
  })

  test('a null token connects anonymously', async () => {
    const sluice = net.sluice()
    const client = net.client({ getToken: () => null })
    await advance(0)
    expect(client.$connection.get().status).toBe('open')
    expect(sluice.last.url.toString()).toBe('ws://sluice.test/realtime/ws?v=1')
    expect(sluice.last.token).toBeNull()
  })

  test('over SSE the auth frame is a command POST before a short expiresAt (80% of the lifetime)', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000, expiresAt: START + 10_000 } })
    const getToken = counter()
    net.client({ getToken, transports: ['sse'] })
    await advance(7999)
    expect(sluice.last.messages).toEqual([])
    await advance(1)
    expect(sluice.last.frames).toEqual([{ type: 'auth', id: expect.any(String), token: 't2' }])
    expect(sluice.last.kind).toBe('sse')
  })
})
