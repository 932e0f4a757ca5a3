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

  test('sends auth 30 s before a long-lived expiresAt, and again before the expiresAt of its ack', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000, expiresAt: START + 120_000 } })
    const getToken = counter()
    net.client({ getToken })
    await advance(89_999)
    expect(sluice.last.frames).toEqual([])
    await advance(1)
    expect(sluice.last.frames).toEqual([{ type: 'auth', id: expect.any(String), token: 't2' }])
    expect(getToken).toHaveBeenCalledTimes(2)

    const { id } = sluice.last.frames[0] as { id: string }
    // A short lifetime is refreshed at 80% of it: 40 s of 50 s.
    sluice.last.send({ type: 'ack', id, expiresAt: Date.now() + 50_000 })
    await advance(39_999)
    expect(sluice.last.frames).toHaveLength(1)
    await advance(1)
    expect(sluice.last.frames[1]).toEqual({ type: 'auth', id: expect.any(String), token: 't3' })
    expect((sluice.last.frames[1] as { id: string }).id).not.toBe(id)
    expect(Date.now()).toBe(START + 130_000)
    expect(sluice.connections).toHaveLength(1)
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

  test('a static token is never refreshed over the connection', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000, expiresAt: START + 10_000 } })
    net.client({ token: 'static' })
    await advance(9999)
    expect(sluice.last.frames).toEqual([])
    expect(sluice.last.token).toBe('static')
  })

  test('TOKEN_EXPIRED (close 4401) reconnects with a freshly fetched token', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const getToken = counter()
    const client = net.client({ getToken })
    await advance(0)
    sluice.last.send({ type: 'error', code: 'TOKEN_EXPIRED', message: 'token expired' })
    sluice.last.close(4401, 'TOKEN_EXPIRED')
    await advance(0)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      error: { code: 'TOKEN_EXPIRED', closeCode: 4401 },
    })
    await advance(250)
    expect(sluice.connections.map((c) => c.token)).toEqual(['t1', 't2'])
    expect(client.$connection.get().status).toBe('open')
  })

  test('a refused refresh (error answering the auth id) drops the connection and reconnects with a new token', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000, expiresAt: START + 100_000 } })
    const getToken = counter()
    const client = net.client({ getToken })
    await advance(70_000)
    const first = sluice.last
    const { id } = first.frames[0] as { id: string }
    first.send({ type: 'error', id, code: 'FORBIDDEN', message: 'identity changed' })
    await advance(0)
    expect(first.closed).toBe(true)
    expect(client.$connection.get()).toMatchObject({ status: 'reconnecting', error: { code: 'FORBIDDEN' } })
    await advance(250)
    expect(sluice.connections.map((c) => c.token)).toEqual(['t1', 't3'])
    expect(client.$connection.get().status).toBe('open')
  })
})

describe('a hanging token endpoint', () => {
  test('fails the attempt with TIMEOUT after tokenTimeoutMs (default 10 s) and retries with backoff', async () => {
    const sluice = net.sluice()
    let calls = 0
    const getToken = vi.fn(() => (++calls === 1 ? new Promise<string>(() => {}) : Promise.resolve('t2')))
    const client = net.client({ getToken })
    await advance(9_999)
    expect(client.$connection.get()).toMatchObject({ status: 'connecting', error: null })
    await advance(1)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      attempt: 1,
      error: { code: 'TIMEOUT', message: 'getToken() took over 10000 ms' },
    })
    expect(sluice.connections).toEqual([])
    await advance(250)
    expect(getToken).toHaveBeenCalledTimes(2)
    expect(client.$connection.get()).toMatchObject({ status: 'open', error: null })
    expect(sluice.connections.map((c) => c.token)).toEqual(['t2'])
  })

  test('tokenTimeoutMs applies to refreshes too: a hanging refresh is given up and retried 5 s later', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000, expiresAt: START + 10_000 } })
    sluice.onFrame((frame, connection) => {
      if (frame.type === 'auth')
        connection.send({ type: 'ack', id: frame.id, expiresAt: Date.now() + 10_000 })
    })
    let calls = 0
    const getToken = vi.fn(() =>
      ++calls === 2 ? new Promise<string>(() => {}) : Promise.resolve(`t${calls}`),
    )
    const client = net.client({ getToken, tokenTimeoutMs: 1_000 })
    // Refresh at 8 s (80% of 10 s); its getToken() hangs and is given up at 9 s.
    await advance(13_999)
    expect(sluice.last.frames).toEqual([])
    await advance(1)
    expect(sluice.last.frames).toEqual([{ type: 'auth', id: expect.any(String), token: 't3' }])
    expect(getToken).toHaveBeenCalledTimes(3)
    expect(client.$connection.get().status).toBe('open')
  })
})

describe('tokens under clock skew', () => {
  // `expiresAt` is the server's clock and the refresh delay is computed against the client's.
  // A client clock ahead of the server's by more than the token lifetime sees every `expiresAt`
  // in the past; refreshing at once would loop (one getToken() and auth frame per round trip).
  test('a client clock ahead of the server by more than the token lifetime does not refresh in a loop', async () => {
    const skew = 300_000
    const serverNow = () => Date.now() - skew
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000, expiresAt: serverNow() + 120_000 } })
    sluice.onFrame((frame, connection) => {
      if (frame.type === 'auth')
        connection.send({ type: 'ack', id: frame.id, expiresAt: serverNow() + 120_000 })
    })
    const getToken = counter()
    net.client({ getToken })
    await advance(10_000)
    const auths = sluice.last.frames.filter((frame) => frame.type === 'auth')
    expect(auths.length).toBeLessThanOrEqual(10)
    expect(getToken.mock.calls.length).toBeLessThanOrEqual(11)
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
      const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000, ...expiry() } })
      const times: number[] = []
      sluice.onFrame((frame, connection) => {
        if (frame.type !== 'auth') return
        times.push(Date.now() - START)
        connection.send({ type: 'ack', id: frame.id, ...expiry() })
      })
      net.client({ getToken: counter() })
      await advance(69_999)
      expect(times).toEqual([])
      await advance(1)
      expect(times).toEqual([70_000])
      await advance(70_000)
      expect(times).toEqual([70_000, 140_000])
      expect(sluice.connections).toHaveLength(1)
    },
  )

  test('an expiresAt already past on a fresh welcome or ack refreshes after 5 s, then backs off to every 60 s', async () => {
    const expired = () => Date.now() - 1000
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000, expiresAt: expired() } })
    const times: number[] = []
    sluice.onFrame((frame, connection) => {
      if (frame.type !== 'auth') return
      times.push(Date.now() - START)
      connection.send({ type: 'ack', id: frame.id, expiresAt: expired() })
    })
    const getToken = counter()
    net.client({ getToken })
    await advance(300_000)
    expect(times).toEqual([5_000, 15_000, 35_000, 75_000, 135_000, 195_000, 255_000])
    expect(getToken).toHaveBeenCalledTimes(8)
    expect(sluice.connections).toHaveLength(1)
  })

  test('a token that expires within half a second is not refreshed more often than once a second', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000, expiresAt: START + 500 } })
    const times: number[] = []
    sluice.onFrame((frame, connection) => {
      if (frame.type !== 'auth') return
      times.push(Date.now() - START)
      connection.send({ type: 'ack', id: frame.id, expiresAt: Date.now() + 500 })
    })
    net.client({ getToken: counter() })
    await advance(4_000)
    expect(times).toEqual([1_000, 2_000, 3_000, 4_000])
  })
})
