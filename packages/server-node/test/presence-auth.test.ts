import type { AckFrame } from '@sluice/protocol'
import { describe, expect, it } from 'vitest'
import type { Identity } from '../src/identity'
import { ServerError } from '../src/server-error'
import type { TestServer } from '../src/testing'
import { ofType, postCommands, SsePeer, serverPerTest, WsPeer } from './helpers'

const fixture = serverPerTest()
const open = fixture.open
let t: TestServer | undefined

describe('presence', () => {
  it('syncs members, then sends join, update and leave (by null state and by disconnect)', async () => {
    t = await fixture.start({ authenticate: ({ token }) => (token ? { id: token } : null) })
    const { peer: alice, welcome: aliceWelcome } = await open('v=1&token=alice')
    const { peer: bob, welcome: bobWelcome } = await open('v=1&token=bob')
    alice.send({ type: 'subscribe', topic: 'room', presence: true })
    expect(await alice.next(ofType('presence'))).toEqual({
      type: 'presence',
      topic: 'room',
      action: 'sync',
      members: [],
    })
    alice.send({ type: 'setPresence', id: 'sp1', topic: 'room', state: { typing: false } })
    expect(await alice.next(ofType('ack'))).toEqual({ type: 'ack', id: 'sp1', topic: 'room' })
    const aliceMember = {
      connectionId: aliceWelcome.connectionId,
      identity: 'alice',
      state: { typing: false },
    }
    expect(alice.frames.filter((f) => f.type === 'presence').at(-1)).toEqual({
      type: 'presence',
      topic: 'room',
      action: 'join',
      member: aliceMember,
    })

    bob.send({ type: 'subscribe', topic: 'room', presence: true })
    expect(await bob.next(ofType('presence'))).toEqual({
      type: 'presence',
      topic: 'room',
      action: 'sync',
      members: [aliceMember],
    })
    bob.send({ type: 'setPresence', topic: 'room', state: { typing: true } })
    const bobMember = { connectionId: bobWelcome.connectionId, identity: 'bob', state: { typing: true } }
    expect(await alice.next(ofType('presence'))).toEqual({
      type: 'presence',
      topic: 'room',
      action: 'join',
      member: bobMember,
    })
    bob.send({ type: 'setPresence', topic: 'room', state: { typing: false } })
    expect(await alice.next(ofType('presence'))).toMatchObject({
      action: 'update',
      member: { state: { typing: false } },
    })
    expect(await t.server.presence('room')).toHaveLength(2)

    alice.send({ type: 'setPresence', topic: 'room', state: null })
    expect(await bob.next(ofType('presence', (f) => f.action === 'leave'))).toEqual({
      type: 'presence',
      topic: 'room',
      action: 'leave',
      member: aliceMember,
    })
    alice.send({ type: 'setPresence', topic: 'room', state: { back: true } })
    await bob.next(ofType('presence', (f) => f.action === 'join'))
    bob.ws.terminate()
    const bobLeft = ofType(
      'presence',
      (f) => f.action === 'leave' && f.member.connectionId === bobWelcome.connectionId,
    )
    expect(await alice.next(bobLeft)).toMatchObject({ member: { identity: 'bob' } })
    expect(await t.server.presence('room')).toEqual([
      { connectionId: aliceWelcome.connectionId, identity: 'alice', state: { back: true } },
    ])
  })

  it('answers NOT_FOUND for presence on a topic not subscribed, and leaves on unsubscribe', async () => {
    t = await fixture.start()
    const { peer } = await open()
    const { peer: watcher } = await open()
    peer.send({ type: 'setPresence', id: 'x', topic: 'room', state: {} })
    expect(await peer.next(ofType('error'))).toEqual({
      type: 'error',
      id: 'x',
      code: 'NOT_FOUND',
      message: 'subscribe to room before setting presence on it',
      topic: 'room',
    })
    watcher.send({ type: 'subscribe', topic: 'room', presence: true })
    await watcher.next(ofType('presence'))
    peer.send({ type: 'subscribe', topic: 'room' })
    peer.send({ type: 'setPresence', topic: 'room', state: { here: true } })
    await watcher.next(ofType('presence', (f) => f.action === 'join'))
    peer.send({ type: 'unsubscribe', topic: 'room' })
    await watcher.next(ofType('presence', (f) => f.action === 'leave'))
    expect(await t.server.presence('room')).toEqual([])
  })
})

describe('auth refresh', () => {
  const tokens: Record<string, Identity> = {
    'alice-1': { id: 'alice', claims: { rooms: ['a', 'b'] }, expiresAt: Date.now() + 60_000 },
    'alice-2': { id: 'alice', claims: { rooms: ['a'] }, expiresAt: Date.now() + 120_000 },
    bob: { id: 'bob', claims: { rooms: ['a', 'b'] } },
  }
  const options = {
    authenticate: ({ token }: { token: string | undefined }) => {
      const identity = token === undefined ? undefined : tokens[token]
      if (!identity) throw new ServerError('UNAUTHORIZED', 'unknown token')
      return identity
    },
    authorize: (identity: Identity | null, topic: string) =>
      ((identity?.claims?.rooms as string[] | undefined) ?? []).includes(topic),
  }

  it('accepts a token for the same identity, re-authorizes subscriptions, and refuses another identity', async () => {
    t = await fixture.start(options)
    const { peer } = await open('v=1&token=alice-1')
    peer.send([
      { type: 'subscribe', topic: 'a' },
      { type: 'subscribe', topic: 'b' },
    ])
    await peer.collect(ofType('subscribed'), 2)
    const expiresAt = tokens['alice-2']?.expiresAt as number
    const sentAt = Date.now()
    peer.send({ type: 'auth', id: 'r1', token: 'alice-2' })
    const ack = (await peer.next(ofType('ack'))) as AckFrame
    // expiresIn is the time left on the server's clock when it answered: between sending and now.
    expect(ack).toEqual({ type: 'ack', id: 'r1', expiresAt, expiresIn: expect.any(Number) })
    expect(ack.expiresIn).toBeLessThanOrEqual(expiresAt - sentAt)
    expect(ack.expiresIn).toBeGreaterThanOrEqual(expiresAt - Date.now())
    expect(peer.frames.filter((f) => f.type === 'unsubscribed')).toEqual([
      { type: 'unsubscribed', topic: 'b', reason: 'FORBIDDEN' },
    ])
    expect(t.server.connections()[0]?.subscriptions).toEqual(['a'])
    expect(t.server.connections()[0]?.identity?.expiresAt).toBe(tokens['alice-2']?.expiresAt)

    peer.send({ type: 'auth', id: 'r2', token: 'bob' })
    expect(await peer.next(ofType('error'))).toEqual({
      type: 'error',
      id: 'r2',
      code: 'FORBIDDEN',
      message: 'the token is for another identity; reconnect to switch identities',
    })
    peer.send({ type: 'auth', id: 'r3', token: 'nope' })
    expect(await peer.next(ofType('error'))).toEqual({
      type: 'error',
      id: 'r3',
      code: 'UNAUTHORIZED',
      message: 'unknown token',
    })
    await t.server.publish('a', { kind: 'created' })
    expect(await peer.next(ofType('event'))).toMatchObject({ topic: 'a', seq: 1 })
  })

  it('shows authenticate on refresh the headers it read at connect and the URL without the token', async () => {
    const seen: Array<{ headers: Record<string, unknown>; url: string; refresh: boolean }> = []
    t = await fixture.start({
      authenticate: ({ headers, url, refresh }) => {
        // Reads one header at connect; the others must not be kept for the refresh.
        const tenant = headers['x-tenant']
        seen.push({ headers: { ...(refresh ? headers : {}) }, url: url.href, refresh })
        return { id: `user-${String(tenant)}` }
      },
    })
    const opened = await WsPeer.open(t.url, 'v=1&token=one&room=r', {
      headers: { 'x-tenant': 't1', 'x-other': 'secret' },
    })
    opened.peer.send({ type: 'auth', id: 'r1', token: 'two' })
    expect(await opened.peer.next(ofType('ack'))).toEqual({ type: 'ack', id: 'r1' })
    await opened.peer.close()
    expect(seen.map((s) => s.refresh)).toEqual([false, true])
    expect(seen[1]?.headers).toEqual({ 'x-tenant': 't1' })
    expect(new URL(seen[1]?.url as string).search).toBe('?v=1&room=r')
  })

  it('ends a connection whose token expires with TOKEN_EXPIRED and 4401, and an SSE stream likewise', async () => {
    t = await fixture.start({ authenticate: () => ({ id: 'carol', expiresAt: Date.now() + 300 }) })
    const { peer } = await open()
    const sse = await SsePeer.open(t.url)
    expect(await peer.next(ofType('error'), 3_000)).toEqual({
      type: 'error',
      code: 'TOKEN_EXPIRED',
      message: 'the token expired; reconnect with a fresh one',
    })
    expect(await peer.closed).toEqual({ code: 4401, reason: 'TOKEN_EXPIRED' })
    await sse.peer?.done
    expect(sse.peer?.frames.map((f) => f.type)).toEqual(['welcome', 'error'])
  })

  it('lets an SSE connection refresh through the command channel', async () => {
    t = await fixture.start(options)
    const opened = await SsePeer.open(t.url, 'v=1&token=alice-1')
    const peer = opened.peer as SsePeer
    const welcome = opened.welcome as { connectionId: string; commandKey?: string }
    expect(await postCommands(t.url, welcome, { type: 'auth', id: 'r', token: 'alice-2' })).toMatchObject({
      status: 202,
    })
    expect(await peer.next(ofType('ack'))).toEqual({
      type: 'ack',
      id: 'r',
      expiresAt: tokens['alice-2']?.expiresAt,
      expiresIn: expect.any(Number),
    })
    await peer.close()
  })
})
