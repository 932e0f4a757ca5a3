// server.signal(): a `signal` frame to every connection of an identity, on both transports, and
// the refusals of a bad name or data, each with its exact code and message.
import { afterEach, describe, expect, it } from 'vitest'
import { ServerError } from '../src/server-error'
import { ofType, SsePeer, serverPerTest } from './helpers'

const fixture = serverPerTest()
const ssePeers: SsePeer[] = []
afterEach(async () => {
  await Promise.all(ssePeers.splice(0).map((peer) => peer.close()))
})

const byToken = { authenticate: ({ token }: { token?: string }) => (token ? { id: token } : null) }

describe('server.signal', () => {
  it('reaches every open connection of the identity, WebSocket and SSE, in the order sent', async () => {
    const t = await fixture.start(byToken)
    const { peer: ws } = await fixture.open('v=1&token=alice')
    const opened = await SsePeer.open(t.url, 'v=1&token=alice')
    if (!opened.peer) throw new Error(`SSE refused: ${JSON.stringify(opened.body)}`)
    const sse = opened.peer
    ssePeers.push(sse)
    const { peer: bob } = await fixture.open('v=1&token=bob')

    expect(await t.server.signal('alice', 'export.ready', { url: '/exports/7' })).toBe(2)
    expect(await t.server.signal('alice', 'billing/plan-changed')).toBe(2)
    expect(await t.server.signal('alice', 'n', null)).toBe(2)
    for (const peer of [ws, sse]) {
      expect(await peer.collect(ofType('signal'), 3)).toEqual([
        { type: 'signal', name: 'export.ready', data: { url: '/exports/7' } },
        { type: 'signal', name: 'billing/plan-changed' },
        { type: 'signal', name: 'n', data: null },
      ])
    }
    bob.send({ type: 'ping', id: 'after' })
    await bob.next(ofType('pong'))
    expect(bob.frames.map((frame) => frame.type)).toEqual(['welcome', 'pong'])
    expect(await t.server.signal('nobody', 'export.ready')).toBe(0)
  })

  it('reaches one connection when given its id, and no other of the same identity', async () => {
    const t = await fixture.start({ ...byToken, adminKeys: ['admin'] })
    const { peer: ws, welcome } = await fixture.open('v=1&token=alice')
    const opened = await SsePeer.open(t.url, 'v=1&token=alice')
    if (!opened.peer || !opened.welcome) throw new Error(`SSE refused: ${JSON.stringify(opened.body)}`)
    const sse = opened.peer
    ssePeers.push(sse)
    expect(await t.server.signal({ connection: opened.welcome.connectionId }, 'only.sse', 1)).toBe(1)
    expect(await t.server.signal({ connection: welcome.connectionId }, 'only.ws', 2)).toBe(1)
    expect(await t.server.signal({ connection: 'no-such-connection' }, 'lost')).toBe(0)
    // Through the operations API too, naming the connection instead of the identity.
    const post = (body: object) =>
      fetch(`${t.url}/admin/signal`, {
        method: 'POST',
        headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (response) => ({ status: response.status, body: await response.json() }))
    expect(await post({ connection: welcome.connectionId, name: 'only.ws', data: 3 })).toEqual({
      status: 200,
      body: { reached: 1 },
    })
    expect(await post({ connection: welcome.connectionId, identity: 'alice', name: 'x' })).toMatchObject({
      status: 400,
      body: { code: 'BAD_REQUEST', field: 'identity' },
    })
    expect(await sse.collect(ofType('signal'), 1)).toEqual([{ type: 'signal', name: 'only.sse', data: 1 }])
    expect(await ws.collect(ofType('signal'), 2)).toEqual([
      { type: 'signal', name: 'only.ws', data: 2 },
      { type: 'signal', name: 'only.ws', data: 3 },
    ])
    expect(sse.frames.filter((frame) => frame.type === 'signal')).toHaveLength(1)
  })

  it.each([
    [
      'an empty identity',
      '',
      'n',
      undefined,
      'BAD_REQUEST',
      'signal: the target must be an identity id or { connection: id }, a non-empty string',
    ],
    [
      'a name with a space',
      'alice',
      'export ready',
      undefined,
      'BAD_REQUEST',
      'signal: "export ready" is not a valid signal name (the characters of a topic name)',
    ],
    [
      'an empty name',
      'alice',
      '',
      undefined,
      'BAD_REQUEST',
      'signal: "" is not a valid signal name (the characters of a topic name)',
    ],
    [
      'a name over 128 characters',
      'alice',
      'n'.repeat(129),
      undefined,
      'LIMIT_EXCEEDED',
      'signal: name is longer than 128 characters',
    ],
    [
      'data that is not JSON',
      'alice',
      'n',
      { big: 1n } as never,
      'BAD_REQUEST',
      'signal n: data must be JSON-serializable (no BigInt, no cycles); convert it first',
    ],
  ])('refuses %s', async (_case, identity, name, data, code, message) => {
    const t = await fixture.start()
    const error = await t.server.signal(identity, name, data).catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(ServerError)
    expect({ code: (error as ServerError).code, message: (error as ServerError).message }).toEqual({
      code,
      message,
    })
  })
})
