/**
 * The connection's life, on the in-process fake server (test/fake-server.ts): connect, what
 * moves with a transport switch (positions, calls and publishes in flight, failing probes),
 * liveness, online/offline, connect-time token refusals and the hooks. When it retries is
 * backoff.test.ts; token refresh is token-refresh.test.ts; what the real WebSocket and fetch
 * show (fallback, handshake, HTTP refusals) is in test/msw.
 */
import type { EventFrame } from '@sluice/protocol'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { createClient } from '../src/client'
import { ClientError } from '../src/client-error'
import type { ConnectionStatus } from '../src/connection-state'
import { createFakeServer } from './fake-server'
import { advance, event, seqLog, setup, URL_BASE, useFakeTime } from './helpers'

beforeEach(useFakeTime)
afterEach(() => {
  vi.useRealTimers()
})

const statuses = (client: {
  $connection: { listen(cb: (s: { status: ConnectionStatus }) => void): unknown }
}) => {
  const seen: ConnectionStatus[] = []
  client.$connection.listen((state) => {
    if (seen[seen.length - 1] !== state.status) seen.push(state.status)
  })
  return seen
}

describe('connect', () => {
  test('opens over WebSocket with v=1 and the token in the URL', async () => {
    const { server, client } = setup({ token: 'secret', lazy: true })
    const seen = statuses(client)
    expect(client.$connection.get().status).toBe('idle')
    client.connect()
    await advance(0)
    expect(seen).toEqual(['connecting', 'open'])
    expect(server.last.kind).toBe('ws')
    expect(server.last.url.toString()).toBe('ws://sluice.test/realtime/ws?v=1&token=secret')
    expect(client.$connection.get()).toMatchObject({
      status: 'open',
      transport: 'ws',
      attempt: 0,
      error: null,
    })
    client.close()
    expect(client.$connection.get().status).toBe('closed')
  })

  test('a lazy client connects on first use', async () => {
    const { server, client } = setup({ lazy: true })
    await advance(0)
    expect(server.attempts).toEqual({ ws: 0, sse: 0 })
    void client.call('ping').catch(() => {})
    await advance(0)
    expect(server.attempts.ws).toBe(1)
    client.close()
  })

  test('rejects an injected WebSocket that is not a constructor, saying what to pass', () => {
    expect(() => setup({ WebSocket: {} })).toThrow(
      new ClientError(
        'BAD_REQUEST',
        'createClient: options.WebSocket must be a WebSocket constructor with send() and addEventListener(), ' +
          "e.g. `import WebSocket from 'ws'` or `globalThis.WebSocket`",
      ),
    )
  })
})

describe('without a WebSocket implementation', () => {
  test('warns in development and connects over SSE', async () => {
    vi.stubGlobal('WebSocket', undefined)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { server, client } = setup({ WebSocket: undefined })
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]?.[0]).toMatch(/^\[sluice\] createClient: no global WebSocket here/)
    await advance(0)
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: 'sse' })
    expect(server.attempts).toEqual({ ws: 0, sse: 1 })
    client.close()
    vi.unstubAllGlobals()
  })
})

describe('fallback to SSE', () => {
  test('probes WebSocket in the background and moves over from the positions', async () => {
    const { server, client } = setup({ probeIntervalMs: 60_000 }, { welcome: { heartbeatMs: 100_000 } })
    server.refuse('ws', 'close')
    await advance(0)
    const sub = client.subscribe('todos', { merge: seqLogMerge() })
    await advance(0)
    const sse = server.last
    sse.send([{ type: 'subscribed', topic: 'todos', epoch: 'e1', seq: 0 }, ev(1), ev(2)])
    await advance(0)

    server.refuse('ws', false)
    await advance(59_999)
    expect(server.attempts.ws).toBe(1)
    await advance(1)
    expect(server.attempts.ws).toBe(2)
    const ws = server.last
    expect(ws.kind).toBe('ws')
    expect(sse.closed).toBe(true)
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: 'ws' })
    expect(ws.frames).toEqual([
      { type: 'subscribe', id: expect.any(String), topic: 'todos', from: { epoch: 'e1', seq: 2 } },
    ])
    // Replay overlapping what SSE delivered is dropped by dedup.
    ws.send([{ type: 'subscribed', topic: 'todos', epoch: 'e1', seq: 3 }, ev(2), ev(3)])
    await advance(0)
    expect(sub.$state.get().data).toEqual(['e1:1', 'e1:2', 'e1:3'])
    client.close()
  })

  test('the switch waits while a call is in flight, so its result is not lost with the old transport', async () => {
    const { server, client } = setup({ probeIntervalMs: 1000 }, { welcome: { heartbeatMs: 100_000 } })
    server.refuse('ws', 'close')
    await advance(0)
    const sse = server.last
    const result = client.call('slow', undefined, { timeoutMs: 60_000 })
    server.refuse('ws', false)
    await advance(1000)
    // The probe opened and was welcomed, but a call is on the SSE connection: it was let go.
    expect(server.attempts.ws).toBe(2)
    expect(server.last.kind).toBe('ws')
    expect(server.last.closed).toBe(true)
    expect(client.$connection.get().transport).toBe('sse')
    sse.send({ type: 'result', id: (sse.frames[0] as { id: string }).id, result: 'done' })
    await expect(result).resolves.toBe('done')
    await advance(1000)
    expect(client.$connection.get().transport).toBe('ws')
    expect(sse.closed).toBe(true)
    client.close()
  })

  test('publishes in flight on the old transport are resent, same id, after a switch', async () => {
    const { server, client } = setup({ probeIntervalMs: 1000 }, { welcome: { heartbeatMs: 100_000 } })
    server.refuse('ws', 'close')
    await advance(0)
    const result = client.publish('todos', { kind: 'created' }, { id: 'p1' })
    await advance(0)
    expect(server.last.frames).toEqual([{ type: 'publish', id: 'p1', topic: 'todos', kind: 'created' }])
    server.refuse('ws', false)
    await advance(1000)
    expect(server.last.kind).toBe('ws')
    expect(server.last.frames).toEqual([{ type: 'publish', id: 'p1', topic: 'todos', kind: 'created' }])
    server.last.send({ type: 'ack', id: 'p1', epoch: 'e1', seq: 1, duplicate: true })
    await expect(result).resolves.toEqual({ epoch: 'e1', seq: 1, duplicate: true })
    client.close()
  })

  test('when every transport fails, the next attempt starts from the preferred one again', async () => {
    const { server, client } = setup()
    server.refuse('ws', 'close')
    server.refuse('sse', 'close')
    await advance(0)
    expect(server.attempts).toEqual({ ws: 1, sse: 1 })
    server.refuse('ws', false)
    await advance(250)
    expect(server.attempts).toEqual({ ws: 2, sse: 1 })
    expect(client.$connection.get().transport).toBe('ws')
    client.close()
  })
})

describe('liveness', () => {
  test('WebSocket ping frames keep a quiet connection open', async () => {
    const { server, client } = setup({}, { welcome: { heartbeatMs: 10_000 } })
    await advance(0)
    const first = server.last
    for (let i = 0; i < 6; i++) {
      await advance(9000)
      first.heartbeat()
    }
    await advance(9000)
    expect(server.connections).toHaveLength(1)
    expect(first.closed).toBe(false)
    expect(client.$connection.get().status).toBe('open')
    client.close()
  })

  test.each(['ws', 'sse'] as const)(
    '2×heartbeatMs of silence drops the %s connection on the next 5 s tick',
    async (kind) => {
      const { server, client } = setup({ transports: [kind] }, { welcome: { heartbeatMs: 10_000 } })
      await advance(0)
      const first = server.last
      await advance(4000)
      first.heartbeat()
      // Last activity at 4 s; the 5 s tick at 25 s is the first to see over 20 s of silence (21 s).
      await advance(20_999)
      expect(client.$connection.get().status).toBe('open')
      await advance(1)
      expect(first.closed).toBe(true)
      expect(client.$connection.get()).toMatchObject({
        status: 'reconnecting',
        error: { code: 'NETWORK', message: 'no data for 21000 ms' },
      })
      client.close()
    },
  )

  test('SSE heartbeat comments count as activity', async () => {
    const { server, client } = setup({ transports: ['sse'] }, { welcome: { heartbeatMs: 10_000 } })
    await advance(0)
    for (let i = 0; i < 6; i++) {
      await advance(9000)
      server.last.heartbeat()
    }
    expect(server.attempts.sse).toBe(1)
    expect(client.$connection.get().status).toBe('open')
    client.close()
  })

  test('after a sleep (timers fired late) it pings and reconnects when no pong comes', async () => {
    const { server, client } = setup({ pingTimeoutMs: 3000 })
    await advance(0)
    const first = server.last
    vi.setSystemTime(Date.now() + 60_000)
    await advance(5000)
    expect(first.frames).toEqual([{ type: 'ping', id: expect.any(String) }])
    await advance(2999)
    expect(first.closed).toBe(false)
    await advance(1)
    expect(first.closed).toBe(true)
    expect(client.$connection.get().error?.message).toBe('no pong in 3000 ms (host slept)')
    client.close()
  })

  test('a visible page checks liveness; a pong keeps the connection', async () => {
    const { server, client } = setup()
    await advance(0)
    server.becomeVisible()
    await advance(0)
    const ping = server.last.frames[0]
    expect(ping).toEqual({ type: 'ping', id: expect.any(String) })
    server.last.send({ type: 'pong', id: (ping as { id: string }).id })
    await advance(10_000)
    expect(server.connections).toHaveLength(1)
    expect(server.last.closed).toBe(false)
    client.close()
  })
})

describe('online / offline', () => {
  test('offline closes the connection and schedules nothing; online reconnects at once', async () => {
    const { server, client } = setup()
    await advance(0)
    server.setOnline(false)
    expect(client.$connection.get()).toMatchObject({ status: 'offline', error: { code: 'NETWORK' } })
    expect(server.last.closed).toBe(true)
    await advance(120_000)
    expect(server.attempts.ws).toBe(1)
    server.setOnline(true)
    await advance(0)
    expect(server.attempts.ws).toBe(2)
    expect(client.$connection.get().status).toBe('open')
    client.close()
  })

  test('a client created while offline waits for online', async () => {
    const { server, client } = setup({ lazy: true })
    server.setOnline(false)
    client.connect()
    await advance(0)
    expect(client.$connection.get().status).toBe('offline')
    expect(server.attempts.ws).toBe(0)
    server.setOnline(true)
    await advance(0)
    expect(client.$connection.get().status).toBe('open')
    client.close()
  })
})

describe('tokens', () => {
  test('getToken is called before every connect', async () => {
    let n = 0
    const getToken = vi.fn(async () => `t${++n}`)
    const { server, client } = setup({ getToken })
    await advance(0)
    server.last.close(1006)
    await advance(250)
    expect(getToken).toHaveBeenCalledTimes(2)
    expect(server.connections.map((c) => c.token)).toEqual(['t1', 't2'])
    client.close()
  })

  test('a rejected token is retried once with a fresh one, then the client closes with the error', async () => {
    const getToken = vi.fn(async () => 'bad')
    const { server, client } = setup({ getToken, transports: ['sse'] })
    server.refuse('sse', 'http')
    server.httpRefusal(401, { type: 'error', code: 'UNAUTHORIZED', message: 'invalid token' })
    await advance(0)
    await advance(0)
    expect(getToken).toHaveBeenCalledTimes(2)
    expect(client.$connection.get()).toMatchObject({
      status: 'closed',
      error: { code: 'UNAUTHORIZED', message: 'invalid token' },
    })
    await advance(60_000)
    expect(server.attempts.sse).toBe(2)
  })

  test('FORBIDDEN and PROTOCOL_VERSION at connect are terminal at once', async () => {
    for (const code of ['FORBIDDEN', 'PROTOCOL_VERSION'] as const) {
      const { server, client } = setup({ transports: ['sse'] })
      server.refuse('sse', 'http')
      server.httpRefusal(code === 'FORBIDDEN' ? 403 : 400, {
        type: 'error',
        code,
        message: code.toLowerCase(),
      })
      await advance(0)
      expect(client.$connection.get()).toMatchObject({ status: 'closed', error: { code } })
      expect(client.$connection.get().error).toBeInstanceOf(ClientError)
      await advance(60_000)
      expect(server.attempts.sse).toBe(1)
    }
  })

  test('a refused WebSocket (status unknown to browsers) learns the reason over SSE', async () => {
    const { server, client } = setup()
    server.refuse('ws', 'close')
    server.refuse('sse', 'http')
    server.httpRefusal(403, { type: 'error', code: 'FORBIDDEN', message: 'origin not allowed' })
    await advance(0)
    expect(client.$connection.get()).toMatchObject({ status: 'closed', error: { code: 'FORBIDDEN' } })
    expect(server.attempts).toEqual({ ws: 1, sse: 1 })
  })

  test('close codes 4400 and 4403 are terminal', async () => {
    for (const [code, reason] of [
      [4400, 'BAD_REQUEST'],
      [4403, 'FORBIDDEN'],
    ] as const) {
      const { server, client } = setup()
      await advance(0)
      server.last.close(code, reason)
      await advance(0)
      expect(client.$connection.get()).toMatchObject({
        status: 'closed',
        error: { code: reason, closeCode: code },
      })
    }
  })

  test('a failing getToken is retried with backoff', async () => {
    const getToken = vi.fn().mockRejectedValueOnce(new Error('token endpoint down')).mockResolvedValue('ok')
    const { server, client } = setup({ getToken })
    await advance(0)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      error: { code: 'NETWORK', message: 'getToken() failed' },
    })
    expect(server.attempts.ws).toBe(0)
    await advance(250)
    expect(server.last.token).toBe('ok')
    client.close()
  })
})

describe('hooks', () => {
  test('onConnect, onDisconnect and beforeReconnect run in order', async () => {
    const log: string[] = []
    const { server, client } = setup({
      onConnect: ({ transport }) => log.push(`connect ${transport}`),
      onDisconnect: ({ error }) => log.push(`disconnect ${error?.code}`),
      beforeReconnect: ({ attempt }) => {
        log.push(`before ${attempt}`)
      },
    })
    await advance(0)
    server.last.close(1006)
    await advance(250)
    client.close()
    expect(log).toEqual([
      'connect ws',
      'disconnect NETWORK',
      'before 1',
      'connect ws',
      'disconnect undefined',
    ])
  })
})

function seqLogMerge() {
  return seqLog()
}

function ev(seq: number): EventFrame {
  return event('todos', seq)
}

describe('probes that fail', () => {
  test('a refused probe leaves the SSE connection as it is and is tried again after probeIntervalMs', async () => {
    const { server, client } = setup({ probeIntervalMs: 1000 }, { welcome: { heartbeatMs: 100_000 } })
    server.refuse('ws', 'close')
    await advance(0)
    const sse = server.last
    const seen = statuses(client)
    await advance(1000)
    expect(server.attempts).toEqual({ ws: 2, sse: 1 })
    expect(sse.closed).toBe(false)
    expect(client.$connection.get()).toMatchObject({
      status: 'open',
      transport: 'sse',
      attempt: 0,
      error: null,
    })
    await advance(999)
    expect(server.attempts.ws).toBe(2)
    await advance(1)
    expect(server.attempts.ws).toBe(3)
    server.refuse('ws', false)
    await advance(1000)
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: 'ws' })
    expect(sse.closed).toBe(true)
    // The connection never left `open`: only the switch's transport change notified.
    expect(seen).toEqual(['open'])
    client.close()
  })

  test("a probe whose token fetch fails opens nothing and is tried again with the next interval's token", async () => {
    const getToken = vi
      .fn<() => Promise<string>>()
      .mockResolvedValueOnce('t1')
      .mockRejectedValueOnce(new Error('token endpoint down'))
      .mockResolvedValue('t3')
    const { server, client } = setup(
      { getToken, probeIntervalMs: 1000 },
      { welcome: { heartbeatMs: 100_000 } },
    )
    server.refuse('ws', 'close')
    await advance(0)
    server.refuse('ws', false)
    await advance(1000)
    expect(getToken).toHaveBeenCalledTimes(2)
    expect(server.attempts).toEqual({ ws: 1, sse: 1 })
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: 'sse', error: null })
    await advance(1000)
    expect(server.attempts).toEqual({ ws: 2, sse: 1 })
    expect(server.connections.map((c) => `${c.kind} ${c.token}`)).toEqual(['sse t1', 'ws t3'])
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: 'ws' })
    client.close()
  })
})

describe('liveness checks that do not apply', () => {
  test('a page shown again while a ping is out sends no second ping', async () => {
    const { server, client } = setup({ pingTimeoutMs: 3000 })
    await advance(0)
    server.becomeVisible()
    await advance(1000)
    server.becomeVisible()
    await advance(0)
    expect(server.last.frames).toEqual([{ type: 'ping', id: expect.any(String) }])
    // The deadline is the first ping's.
    await advance(1999)
    expect(server.last.closed).toBe(false)
    await advance(1)
    expect(client.$connection.get().error?.message).toBe('no pong in 3000 ms (page shown)')
    client.close()
  })

  test('a page shown while reconnecting arms no ping deadline: the scheduled retry stands', async () => {
    const { server, client } = setup({ pingTimeoutMs: 3000, retryDelay: () => 60_000 })
    await advance(0)
    server.last.close(1006)
    await advance(0)
    const reconnecting = client.$connection.get()
    expect(reconnecting).toMatchObject({
      status: 'reconnecting',
      attempt: 1,
      nextRetryAt: Date.now() + 60_000,
    })
    server.becomeVisible()
    await advance(10_000)
    expect(client.$connection.get()).toEqual(reconnecting)
    await advance(50_000)
    expect(server.attempts.ws).toBe(2)
    expect(client.$connection.get()).toMatchObject({ status: 'open', attempt: 0 })
    client.close()
  })

  test('over SSE a ping whose POST fails is not answered by the failure: no pong, so it reconnects', async () => {
    const server = createFakeServer()
    const posts: unknown[] = []
    const client = createClient({
      url: URL_BASE,
      transports: ['sse'],
      fetch: (input, init) => {
        if (init.method !== 'POST') return server.fetch(input, init)
        posts.push(JSON.parse(String(init.body)))
        return Promise.resolve(
          Response.json({ type: 'error', code: 'INTERNAL', message: 'boom' }, { status: 500 }),
        )
      },
      environment: server.environment,
      random: () => 0.5,
      lazy: false,
      pingTimeoutMs: 3000,
    })
    await advance(0)
    server.becomeVisible()
    await advance(0)
    expect(posts).toEqual([{ type: 'ping', id: expect.any(String) }])
    await advance(2999)
    expect(client.$connection.get().status).toBe('open')
    await advance(1)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      error: { code: 'NETWORK', message: 'no pong in 3000 ms (page shown)' },
    })
    client.close()
  })
})

/** A client whose `isOnline()` reads `network.online`, which the test sets apart from the events. */
function setupWithOnlineFlag(welcome?: { heartbeatMs: number }) {
  const network = { online: true }
  const server = createFakeServer(welcome ? { welcome } : {})
  const client = createClient({
    url: URL_BASE,
    WebSocket: server.WebSocket,
    environment: { ...server.environment, isOnline: () => network.online },
    random: () => 0.5,
    lazy: false,
  })
  return { server, client, network }
}

describe('online / offline signals that do not apply', () => {
  test('an online signal while open changes nothing, even where isOnline() still says false', async () => {
    const { server, client, network } = setupWithOnlineFlag({ heartbeatMs: 1_000_000 })
    await advance(0)
    const seen = statuses(client)
    server.setOnline(true)
    // A host whose `online` event and `navigator.onLine` disagree for a moment.
    network.online = false
    server.setOnline(true)
    await advance(60_000)
    expect(seen).toEqual([])
    expect(server.attempts.ws).toBe(1)
    expect(server.last.closed).toBe(false)
    client.close()
  })

  test('an online signal does not connect a lazy client nobody has used yet', async () => {
    const { server, client } = setup({ lazy: true })
    server.setOnline(true)
    await advance(0)
    expect(client.$connection.get().status).toBe('idle')
    expect(server.attempts).toEqual({ ws: 0, sse: 0 })
    client.close()
  })

  test('a connection lost while the host reports no network waits offline instead of retrying', async () => {
    const { server, client, network } = setupWithOnlineFlag()
    await advance(0)
    network.online = false
    server.last.close(1006)
    await advance(0)
    expect(client.$connection.get()).toMatchObject({
      status: 'offline',
      nextRetryAt: null,
      error: { code: 'NETWORK', message: 'closed with 1006', closeCode: 1006 },
    })
    await advance(120_000)
    expect(server.attempts.ws).toBe(1)
    network.online = true
    server.setOnline(true)
    await advance(0)
    expect(server.attempts.ws).toBe(2)
    expect(client.$connection.get()).toMatchObject({ status: 'open', error: null })
    client.close()
  })
})

describe('close() during beforeReconnect', () => {
  test('the reconnect the hook preceded is not made', async () => {
    let hookDone!: () => void
    const beforeReconnect = vi.fn(() => new Promise<void>((resolve) => (hookDone = resolve)))
    const { server, client } = setup({ beforeReconnect })
    await advance(0)
    server.last.close(1006)
    await advance(250)
    expect(beforeReconnect).toHaveBeenCalledTimes(1)
    client.close()
    hookDone()
    await advance(60_000)
    expect(server.attempts.ws).toBe(1)
    expect(client.$connection.get()).toMatchObject({ status: 'closed', error: null })
  })
})
