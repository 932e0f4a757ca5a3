/**
 * When the client hands the server a fresh token over the open connection, on the in-process
 * fake server: `auth` 30 s before `expiresAt` (80% of a short lifetime), again before the
 * `expiresAt` of its ack; what a refused or hanging refresh does; and refresh times that stay
 * sane when the clocks disagree. How a token travels (WS URL, SSE Authorization header, the auth
 * POST) is the boundary's and stays on msw: test/msw/token-transport.test.ts.
 */
import type { ClientFrame } from '@sluice/protocol'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { event, subscribed } from './flows'
import { advance, seqLog, setup, useFakeTime } from './helpers'

let START = 0
beforeEach(() => {
  useFakeTime()
  START = Date.now()
})
afterEach(() => {
  vi.useRealTimers()
})

/** A token source that counts: t1, t2, ... */
const counter = () => {
  let n = 0
  return vi.fn(async () => `t${++n}`)
}
const auths = (frames: ClientFrame[]) => frames.filter((frame) => frame.type === 'auth')

describe('refresh over the open connection', () => {
  test('sends auth 30 s before a long-lived expiresAt, and again before the expiresAt of its ack', async () => {
    const getToken = counter()
    const { server, client } = setup(
      { getToken },
      { welcome: { heartbeatMs: 1_000_000, expiresAt: START + 120_000 } },
    )
    await advance(89_999)
    expect(server.last.frames).toEqual([])
    await advance(1)
    expect(server.last.frames).toEqual([{ type: 'auth', id: expect.any(String), token: 't2' }])
    expect(getToken).toHaveBeenCalledTimes(2)

    const { id } = server.last.frames[0] as { id: string }
    // A short lifetime is refreshed at 80% of it: 40 s of 50 s.
    server.last.send({ type: 'ack', id, expiresAt: Date.now() + 50_000 })
    await advance(39_999)
    expect(server.last.frames).toHaveLength(1)
    await advance(1)
    expect(server.last.frames[1]).toEqual({ type: 'auth', id: expect.any(String), token: 't3' })
    expect((server.last.frames[1] as { id: string }).id).not.toBe(id)
    expect(Date.now()).toBe(START + 130_000)
    expect(server.connections).toHaveLength(1)
    client.close()
  })

  test('a static token is never refreshed over the connection', async () => {
    const { server, client } = setup(
      { token: 'static' },
      { welcome: { heartbeatMs: 1_000_000, expiresAt: START + 10_000 } },
    )
    await advance(9999)
    expect(server.last.frames).toEqual([])
    expect(server.last.token).toBe('static')
    client.close()
  })

  test('a refresh whose getToken returns null sends no auth frame and keeps the connection', async () => {
    const getToken = vi.fn<() => Promise<string | null>>().mockResolvedValueOnce('t1').mockResolvedValue(null)
    const { server, client } = setup(
      { getToken },
      { welcome: { expiresAt: START + 100_000, heartbeatMs: 1_000_000 } },
    )
    await advance(70_000)
    expect(getToken).toHaveBeenCalledTimes(2)
    expect(server.last.messages).toEqual([])
    expect(client.$connection.get()).toMatchObject({ status: 'open', error: null })
    expect(server.attempts.ws).toBe(1)
    client.close()
  })
})

describe('a refused or expired token', () => {
  test('TOKEN_EXPIRED (close 4401) reconnects with a freshly fetched token', async () => {
    const getToken = counter()
    const { server, client } = setup({ getToken }, { welcome: { heartbeatMs: 1_000_000 } })
    await advance(0)
    server.last.send({ type: 'error', code: 'TOKEN_EXPIRED', message: 'token expired' })
    server.last.close(4401, 'TOKEN_EXPIRED')
    await advance(0)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      error: { code: 'TOKEN_EXPIRED', closeCode: 4401 },
    })
    await advance(250)
    expect(server.connections.map((c) => c.token)).toEqual(['t1', 't2'])
    expect(client.$connection.get().status).toBe('open')
    client.close()
  })

  test('a refused refresh (error answering the auth id) drops the connection and reconnects with a new token', async () => {
    const getToken = counter()
    const { server, client } = setup(
      { getToken },
      { welcome: { heartbeatMs: 1_000_000, expiresAt: START + 100_000 } },
    )
    await advance(70_000)
    const first = server.last
    const { id } = first.frames[0] as { id: string }
    first.send({ type: 'error', id, code: 'FORBIDDEN', message: 'identity changed' })
    await advance(0)
    expect(first.closed).toBe(true)
    expect(client.$connection.get()).toMatchObject({ status: 'reconnecting', error: { code: 'FORBIDDEN' } })
    await advance(250)
    expect(server.connections.map((c) => c.token)).toEqual(['t1', 't3'])
    expect(client.$connection.get().status).toBe('open')
    client.close()
  })

  test('frames after a refused token refresh in the same message are dropped with the connection', async () => {
    const getToken = counter()
    const { server, client } = setup(
      { getToken },
      { welcome: { expiresAt: START + 100_000, heartbeatMs: 1_000_000 } },
    )
    const sub = client.subscribe('todos', { merge: seqLog() })
    await advance(0)
    server.last.send([subscribed('todos', 0), event('todos', 1)])
    await advance(70_000)
    const auth = server.last.frames[1] as { id: string }
    expect(auth).toEqual({ type: 'auth', id: expect.any(String), token: 't2' })
    server.last.send([
      { type: 'error', id: auth.id, code: 'FORBIDDEN', message: 'identity changed' },
      event('todos', 2),
    ])
    await advance(0)
    expect(sub.$state.get()).toMatchObject({
      data: ['e1:1'],
      status: 'connecting',
      position: { epoch: 'e1', seq: 1 },
    })
    await advance(250)
    // The next connection resumes after the last event applied, not the dropped one.
    expect(server.last.frames).toEqual([
      { type: 'subscribe', id: expect.any(String), topic: 'todos', from: { epoch: 'e1', seq: 1 } },
    ])
    client.close()
  })
})

describe('a hanging token endpoint', () => {
  test('fails the attempt with TIMEOUT after tokenTimeoutMs (default 10 s) and retries with backoff', async () => {
    let calls = 0
    const getToken = vi.fn(() => (++calls === 1 ? new Promise<string>(() => {}) : Promise.resolve('t2')))
    const { server, client } = setup({ getToken })
    await advance(9_999)
    expect(client.$connection.get()).toMatchObject({ status: 'connecting', error: null })
    await advance(1)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      attempt: 1,
      error: { code: 'TIMEOUT', message: 'getToken() took over 10000 ms' },
    })
    expect(server.connections).toEqual([])
    await advance(250)
    expect(getToken).toHaveBeenCalledTimes(2)
    expect(client.$connection.get()).toMatchObject({ status: 'open', error: null })
    expect(server.connections.map((c) => c.token)).toEqual(['t2'])
    client.close()
  })

  test('tokenTimeoutMs applies to refreshes too: a hanging refresh is given up and retried 5 s later', async () => {
    let calls = 0
    const getToken = vi.fn(() =>
      ++calls === 2 ? new Promise<string>(() => {}) : Promise.resolve(`t${calls}`),
    )
    const { server, client } = setup(
      { getToken, tokenTimeoutMs: 1_000 },
      { welcome: { heartbeatMs: 1_000_000, expiresAt: START + 10_000 } },
    )
    server.onFrame((frame, connection) => {
      if (frame.type === 'auth')
        connection.send({ type: 'ack', id: frame.id, expiresAt: Date.now() + 10_000 })
    })
    // Refresh at 8 s (80% of 10 s); its getToken() hangs and is given up at 9 s.
    await advance(13_999)
    expect(server.last.frames).toEqual([])
    await advance(1)
    expect(server.last.frames).toEqual([{ type: 'auth', id: expect.any(String), token: 't3' }])
    expect(getToken).toHaveBeenCalledTimes(3)
    expect(client.$connection.get().status).toBe('open')
    client.close()
  })
})

describe('tokens under clock skew', () => {
  // `expiresAt` is the server's clock and the refresh delay is computed against the client's.
  // A client clock ahead of the server's by more than the token lifetime sees every `expiresAt`
  // in the past; refreshing at once would loop (one getToken() and auth frame per round trip).
  test('a client clock ahead of the server by more than the token lifetime does not refresh in a loop', async () => {
    const skew = 300_000
    const serverNow = () => Date.now() - skew
    const getToken = counter()
    const { server, client } = setup(
      { getToken },
      { welcome: { heartbeatMs: 1_000_000, expiresAt: serverNow() + 120_000 } },
    )
    server.onFrame((frame, connection) => {
      if (frame.type === 'auth')
        connection.send({ type: 'ack', id: frame.id, expiresAt: serverNow() + 120_000 })
    })
    await advance(10_000)
    // The expired-token cadence (5 s, then doubling): refreshes at 5 s and 15 s, so one in 10 s.
    expect(auths(server.last.frames)).toHaveLength(1)
    expect(getToken).toHaveBeenCalledTimes(2)
    client.close()
  })

  // A server that also states `expiresIn` (the time left) makes the clocks irrelevant: the
  // refresh lands 30 s before the real expiry whichever way, and however far, ours is off.
  test.each([
    ['behind', 120_000],
    ['ahead of', -300_000],
  ])(
    'with expiresIn, a client clock %s the server by 2+ minutes refreshes 30 s before the real expiry',
    async (_, skew) => {
      const serverNow = () => Date.now() + skew
      const expiry = () => ({ expiresAt: serverNow() + 100_000, expiresIn: 100_000 })
      const { server, client } = setup(
        { getToken: counter() },
        { welcome: { heartbeatMs: 1_000_000, ...expiry() } },
      )
      const times: number[] = []
      server.onFrame((frame, connection) => {
        if (frame.type !== 'auth') return
        times.push(Date.now() - START)
        connection.send({ type: 'ack', id: frame.id, ...expiry() })
      })
      await advance(69_999)
      expect(times).toEqual([])
      await advance(1)
      expect(times).toEqual([70_000])
      await advance(70_000)
      expect(times).toEqual([70_000, 140_000])
      expect(server.connections).toHaveLength(1)
      client.close()
    },
  )

  test('an expiresAt already past on a fresh welcome or ack refreshes after 5 s, then backs off to every 60 s', async () => {
    const expired = () => Date.now() - 1000
    const getToken = counter()
    const { server, client } = setup(
      { getToken },
      { welcome: { heartbeatMs: 1_000_000, expiresAt: expired() } },
    )
    const times: number[] = []
    server.onFrame((frame, connection) => {
      if (frame.type !== 'auth') return
      times.push(Date.now() - START)
      connection.send({ type: 'ack', id: frame.id, expiresAt: expired() })
    })
    await advance(300_000)
    expect(times).toEqual([5_000, 15_000, 35_000, 75_000, 135_000, 195_000, 255_000])
    expect(getToken).toHaveBeenCalledTimes(8)
    expect(server.connections).toHaveLength(1)
    client.close()
  })

  test('a token that expires within half a second is not refreshed more often than once a second', async () => {
    const { server, client } = setup(
      { getToken: counter() },
      { welcome: { heartbeatMs: 1_000_000, expiresAt: START + 500 } },
    )
    const times: number[] = []
    server.onFrame((frame, connection) => {
      if (frame.type !== 'auth') return
      times.push(Date.now() - START)
      connection.send({ type: 'ack', id: frame.id, expiresAt: Date.now() + 500 })
    })
    await advance(4_000)
    expect(times).toEqual([1_000, 2_000, 3_000, 4_000])
    client.close()
  })
})
