/**
 * HTTP refusals on the SSE transport: a refused stream request (its error frame body, else the
 * status and `retry-after`), and command POSTs that fail. A POST answered 404 or 403 means the
 * stream it was bound to is gone or not ours, so the stream ends and the client reconnects; any
 * other failure becomes an error frame for each command in the POST that awaits an answer, so
 * calls and publishes settle at once. (Pings are left out, a failed ping POST being no pong:
 * test/connection.test.ts, as msw's socket emulation cannot take the drop that follows.)
 * Boundary tests, on msw's stand-ins for the real globals: HTTP statuses, headers and bodies as
 * the real fetch returns them are the subject.
 */
import type { FetchLike } from '@sluice/client'
import { describe, expect, test } from 'vitest'
import { advance, rejection, START, useMockNetwork } from './setup'

const net = useMockNetwork()

/**
 * A fetch that answers requests matching `path` itself (the stream's GET or the command POSTs)
 * and hands the rest to msw; it records the bodies it answered.
 */
function answering(path: '/sse' | '/sse/commands', respond: () => Response) {
  const bodies: string[] = []
  const fetch: FetchLike = (input, init) => {
    if (new URL(input).pathname !== `/realtime${path}`) return globalThis.fetch(input, init)
    bodies.push(String(init.body ?? ''))
    return Promise.resolve(respond())
  }
  return { fetch, bodies }
}

const errorBody = (code: string, message: string, extra = {}) => ({ type: 'error', code, message, ...extra })

describe('a refused SSE stream request', () => {
  test('without an error frame body: NETWORK with the status, waiting the retry-after header', async () => {
    const sluice = net.sluice()
    const { fetch } = answering(
      '/sse',
      () =>
        new Response('<html>busy</html>', {
          status: 503,
          headers: { 'content-type': 'text/html', 'retry-after': '3' },
        }),
    )
    const client = net.client({ transports: ['sse'], fetch })
    await advance(0)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      attempt: 1,
      nextRetryAt: START + 3000,
      error: { code: 'NETWORK', message: 'HTTP 503', retryAfterMs: 3000 },
    })
    expect(sluice.attempts.sse).toBe(0)
  })

  test("the body's retryAfterMs wins over a retry-after header", async () => {
    net.sluice()
    const { fetch } = answering('/sse', () =>
      Response.json(errorBody('OVERLOADED', 'busy', { retryAfterMs: 4000 }), {
        status: 503,
        headers: { 'retry-after': '10' },
      }),
    )
    const client = net.client({ transports: ['sse'], fetch })
    await advance(0)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      nextRetryAt: START + 4000,
      error: { code: 'OVERLOADED', message: 'busy', retryAfterMs: 4000 },
    })
  })

  test('a retry-after that is not a positive number of seconds is ignored', async () => {
    net.sluice()
    const { fetch } = answering(
      '/sse',
      () => new Response('', { status: 502, headers: { 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' } }),
    )
    const client = net.client({ transports: ['sse'], fetch })
    await advance(0)
    const state = client.$connection.get()
    expect(state).toMatchObject({ status: 'reconnecting', nextRetryAt: START + 250 })
    expect(state.error).toMatchObject({ code: 'NETWORK', message: 'HTTP 502', retryAfterMs: undefined })
  })
})

describe('a failed command POST', () => {
  test.each([
    [404, 'NOT_FOUND', 'unknown connection'],
    [403, 'FORBIDDEN', 'bad command key'],
  ] as const)('answered %i ends the stream and reconnects with its error', async (status, code, message) => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 0 } })
    const { fetch, bodies } = answering('/sse/commands', () =>
      Response.json(errorBody(code, message), { status }),
    )
    const client = net.client({ transports: ['sse'], fetch })
    await advance(0)
    const first = sluice.last
    const call = rejection(client.call('todos.count'))
    await advance(0)
    expect(bodies).toHaveLength(1)
    expect(client.$connection.get()).toMatchObject({
      status: 'reconnecting',
      attempt: 1,
      error: { code, message },
    })
    expect(first.closed).toBe(true)
    // It was posted, so it may have run: not sent again.
    expect(await call).toMatchObject({
      code: 'NETWORK',
      message: 'call todos.count: the connection was lost; it may have run',
    })
    await advance(250)
    expect(sluice.attempts.sse).toBe(2)
    expect(client.$connection.get().status).toBe('open')
  })

  test('answered otherwise settles each call and publish in it with the error; the stream stays', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 0 } })
    const { fetch, bodies } = answering('/sse/commands', () =>
      Response.json(errorBody('INTERNAL', 'boom'), { status: 500 }),
    )
    const client = net.client({ transports: ['sse'], fetch })
    await advance(0)
    const call = rejection(client.call('todos.count'))
    const publish = rejection(client.publish('todos', { kind: 'created', key: 't1' }))
    await advance(0)
    // One batch, one POST.
    expect(bodies).toHaveLength(1)
    expect(JSON.parse(bodies[0] as string)).toEqual([
      { type: 'call', id: expect.any(String), name: 'todos.count' },
      { type: 'publish', id: expect.any(String), topic: 'todos', kind: 'created', key: 't1' },
    ])
    expect(await call).toMatchObject({ code: 'INTERNAL', message: 'call todos.count: boom' })
    expect(await publish).toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/^publish \S+ to todos: boom$/),
      topic: 'todos',
    })
    expect(client.$connection.get()).toMatchObject({ status: 'open', transport: 'sse', error: null })
    expect(sluice.attempts.sse).toBe(1)
    expect(sluice.last.closed).toBe(false)
  })

  test('answered without an error frame body settles the commands with NETWORK and the status', async () => {
    net.sluice({ welcome: { heartbeatMs: 0 } })
    const { fetch } = answering(
      '/sse/commands',
      () => new Response('Too Many Requests', { status: 429, headers: { 'retry-after': '2' } }),
    )
    const client = net.client({ transports: ['sse'], fetch })
    await advance(0)
    const error = await rejection(client.call('todos.count'))
    expect(error).toMatchObject({ code: 'NETWORK', message: 'call todos.count: HTTP 429' })
    expect(client.$connection.get().status).toBe('open')
  })
})
