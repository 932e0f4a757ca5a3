// Rules, capabilities, procedure guards and the subscription limit, through real sockets: the
// same verdicts on WebSocket, SSE (URL subscriptions and the command channel) and replay.
import { encodeSubscriptionsParam, type ServerFrame } from '@sluice/protocol'
import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import type { Identity } from '../src/identity'
import type { SluiceServerOptions } from '../src/options'
import type { TestServer } from '../src/testing'
import { ofType, postCommands, SsePeer, serverPerTest } from './helpers'

const fixture = serverPerTest()
const open = fixture.open

// Tokens are identity ids; the claims come from this table, as a JWT's payload would.
const people: Record<string, Identity> = {
  alice: { id: 'alice', claims: { role: 'admin' } },
  bob: { id: 'bob', claims: { role: 'member' } },
  carol: { id: 'carol', claims: { caps: { 'doc:42': ['subscribe'], 'chat:*': ['subscribe', 'presence'] } } },
  mallory: { id: 'mallory', claims: { caps: ['doc:42'] } },
}
const byToken: SluiceServerOptions['authenticate'] = ({ token }) => (token ? (people[token] ?? null) : null)

const chatRules: SluiceServerOptions['rules'] = [
  { topic: 'public:*', subscribe: 'anyone' },
  { topic: 'chat:*', subscribe: 'authenticated', publish: 'authenticated', presence: 'authenticated' },
  { topic: 'quiet:*', subscribe: 'anyone', presence: false },
  { topic: 'user:{sub}:**', subscribe: 'owner', publish: 'owner' },
  { topic: 'admin:**', subscribe: { claim: 'role', equals: 'admin' } },
  { topic: 'doc:*', subscribe: 'nobody' },
]

const forbidden = (topic: string, message: string, id?: string): Record<string, unknown> => ({
  type: 'error',
  ...(id === undefined ? {} : { id }),
  code: 'FORBIDDEN',
  message,
  topic,
})

// Commands on different topics answer in any order: find the answer among every frame so far.
async function answerTo(peer: Awaited<ReturnType<typeof open>>['peer'], id: string): Promise<ServerFrame> {
  const [answer] = await peer.collect((frame) => 'id' in frame && frame.id === id, 1)
  return answer as ServerFrame
}

describe('secure defaults', () => {
  it('without rules: subscribing and joining presence work, a client publish is refused', async () => {
    await fixture.start()
    const { peer } = await open()
    peer.send({ type: 'subscribe', id: 's', topic: 'todos' })
    expect(await answerTo(peer, 's')).toMatchObject({ type: 'subscribed', topic: 'todos' })
    peer.send({ type: 'setPresence', id: 'p', topic: 'todos', state: { name: 'anon' } })
    expect(await answerTo(peer, 'p')).toEqual({ type: 'ack', id: 'p', topic: 'todos' })
    peer.send({ type: 'publish', id: 'x', topic: 'todos', kind: 'created' })
    expect(await answerTo(peer, 'x')).toEqual(
      forbidden(
        'todos',
        'not allowed to publish to todos: client publishes are refused unless a rule allows them',
        'x',
      ),
    )
  })

  it('refuses a procedure that has neither a guard nor a rule, whoever calls it', async () => {
    await fixture.start({
      authenticate: byToken,
      procedures: {
        open: { guard: 'anyone', handler: () => 'open' },
        members: { guard: 'authenticated', handler: () => 'members' },
        admins: { guard: (ctx) => ctx.identity?.claims?.role === 'admin', handler: () => 'admins' },
        byRule: () => 'by rule',
        bare: () => 'bare',
      },
      rules: [{ procedure: 'byRule', call: { claim: 'role' } }],
    })
    const calls = ['open', 'members', 'admins', 'byRule', 'bare'].map((name) => ({
      type: 'call' as const,
      id: name,
      name,
    }))
    const answers = async (query: string) => {
      const { peer } = await open(query)
      peer.send(calls)
      const frames = await peer.collect(
        (frame) => frame.type === 'result' || frame.type === 'error',
        calls.length,
      )
      return Object.fromEntries(
        frames.map((frame) => [
          (frame as { id: string }).id,
          frame.type === 'result' ? frame.result : (frame as { code: string }).code,
        ]),
      )
    }
    expect(await answers('v=1')).toEqual({
      open: 'open',
      members: 'FORBIDDEN',
      admins: 'FORBIDDEN',
      byRule: 'FORBIDDEN',
      bare: 'FORBIDDEN',
    })
    expect(await answers('v=1&token=bob')).toEqual({
      open: 'open',
      members: 'members',
      admins: 'FORBIDDEN',
      byRule: 'by rule',
      bare: 'FORBIDDEN',
    })
    expect(await answers('v=1&token=alice')).toEqual({
      open: 'open',
      members: 'members',
      admins: 'admins',
      byRule: 'by rule',
      bare: 'FORBIDDEN',
    })
  })
})

describe('topic rules', () => {
  it('decide subscribe, publish and presence per namespace over WebSocket', async () => {
    await fixture.start({ authenticate: byToken, rules: chatRules })
    const { peer: anon } = await open()
    const { peer: bob } = await open('v=1&token=bob')
    anon.send([
      { type: 'subscribe', id: 'a1', topic: 'public:news' },
      { type: 'subscribe', id: 'a2', topic: 'chat:lobby' },
      { type: 'subscribe', id: 'a3', topic: 'nowhere' },
    ])
    expect(await answerTo(anon, 'a1')).toMatchObject({ type: 'subscribed' })
    expect(await answerTo(anon, 'a2')).toEqual(
      forbidden(
        'chat:lobby',
        'not allowed to subscribe to chat:lobby: the rule chat:* does not allow subscribe',
        'a2',
      ),
    )
    expect(await answerTo(anon, 'a3')).toEqual(
      forbidden('nowhere', 'not allowed to subscribe to nowhere: no rule matches the topic', 'a3'),
    )
    bob.send([
      { type: 'subscribe', id: 'b1', topic: 'chat:lobby' },
      { type: 'subscribe', id: 'b2', topic: 'user:bob:inbox' },
      { type: 'subscribe', id: 'b3', topic: 'user:alice:inbox' },
      { type: 'subscribe', id: 'b4', topic: 'admin:audit' },
      { type: 'subscribe', id: 'b5', topic: 'quiet:room', presence: true },
    ])
    expect(await answerTo(bob, 'b1')).toMatchObject({ type: 'subscribed' })
    expect(await answerTo(bob, 'b2')).toMatchObject({ type: 'subscribed' })
    expect(await answerTo(bob, 'b3')).toMatchObject({
      type: 'error',
      code: 'FORBIDDEN',
      topic: 'user:alice:inbox',
    })
    expect(await answerTo(bob, 'b4')).toMatchObject({
      type: 'error',
      code: 'FORBIDDEN',
      topic: 'admin:audit',
    })
    expect(await answerTo(bob, 'b5')).toEqual(forbidden('quiet:room', 'presence is off for quiet:room', 'b5'))
    bob.send([
      { type: 'publish', id: 'p1', topic: 'chat:lobby', kind: 'created', data: 'hi' },
      { type: 'publish', id: 'p2', topic: 'user:bob:inbox', kind: 'created' },
      { type: 'setPresence', id: 'p3', topic: 'chat:lobby', state: { typing: false } },
    ])
    expect(await answerTo(bob, 'p1')).toMatchObject({ type: 'ack', seq: 1 })
    expect(await answerTo(bob, 'p2')).toMatchObject({ type: 'ack', seq: 1 })
    expect(await answerTo(bob, 'p3')).toEqual({ type: 'ack', id: 'p3', topic: 'chat:lobby' })
    // A subscriber of public:news may not publish there nor join a presence that is off.
    const { peer: anon2 } = await open()
    anon2.send([
      { type: 'subscribe', id: 'q', topic: 'quiet:room' },
      { type: 'setPresence', id: 'q2', topic: 'quiet:room', state: {} },
    ])
    expect(await answerTo(anon2, 'q')).toMatchObject({ type: 'subscribed' })
    expect(await answerTo(anon2, 'q2')).toEqual(
      forbidden(
        'quiet:room',
        'not allowed to join the presence of quiet:room: presence is off for this topic',
        'q2',
      ),
    )
  })

  it('give SSE the same verdicts: URL subscriptions, the command channel and a replay', async () => {
    const t = await fixture.start({ authenticate: byToken, rules: chatRules })
    await t.server.publish('user:bob:inbox', { kind: 'created', key: 'm1' })
    const subscriptions = encodeSubscriptionsParam([{ topic: 'public:a' }, { topic: 'user:alice:inbox' }])
    const { peer, welcome } = await SsePeer.open(t.url, `v=1&token=bob&subscriptions=${subscriptions}`)
    if (!peer || !welcome) throw new Error('the stream did not open')
    try {
      expect(await peer.next(ofType('subscribed'))).toMatchObject({ topic: 'public:a' })
      expect(await peer.next(ofType('error'))).toMatchObject({ code: 'FORBIDDEN', topic: 'user:alice:inbox' })
      const { epoch } = await t.server
        .publish('user:bob:inbox', { kind: 'created', key: 'm2' })
        .then((p) => p ?? { epoch: '' })
      const posted = await postCommands(t.url, welcome, [
        { type: 'subscribe', id: 'r1', topic: 'user:alice:inbox', from: { epoch, seq: 0 } },
        { type: 'subscribe', id: 'r2', topic: 'user:bob:inbox', from: { epoch, seq: 1 } },
        { type: 'publish', id: 'r3', topic: 'public:a', kind: 'created' },
      ])
      expect(posted).toEqual({ status: 202, body: { accepted: 3 } })
      expect(await peer.next(ofType('error', (f) => f.id === 'r1'))).toMatchObject({ code: 'FORBIDDEN' })
      expect(await peer.next(ofType('subscribed', (f) => f.id === 'r2'))).toMatchObject({ seq: 2 })
      expect(await peer.next(ofType('event', (f) => f.topic === 'user:bob:inbox'))).toMatchObject({
        key: 'm2',
      })
      expect(await peer.next(ofType('error', (f) => f.id === 'r3'))).toEqual(
        forbidden(
          'public:a',
          'not allowed to publish to public:a: the rule public:* does not allow publish',
          'r3',
        ),
      )
    } finally {
      peer.close()
    }
  })

  it('keep each namespace its own history size', async () => {
    const t = await fixture.start({
      rules: [
        { topic: 'short:*', subscribe: 'anyone', history: { maxEvents: 2 } },
        { topic: '**', subscribe: 'anyone' },
      ],
    })
    const first = await t.server.publish('short:a', { kind: 'created' })
    await t.server.publish('long:a', { kind: 'created' })
    for (let n = 0; n < 3; n++) {
      await t.server.publish('short:a', { kind: 'created' })
      await t.server.publish('long:a', { kind: 'created' })
    }
    const epochOf = async (topic: string) => (await t.server.publish(topic, { kind: 'updated' }))?.epoch ?? ''
    const shortEpoch = first?.epoch ?? ''
    const longEpoch = await epochOf('long:a')
    await epochOf('short:a')
    const { peer } = await open()
    peer.send([
      { type: 'subscribe', id: 's', topic: 'short:a', from: { epoch: shortEpoch, seq: 1 } },
      { type: 'subscribe', id: 'l', topic: 'long:a', from: { epoch: longEpoch, seq: 1 } },
    ])
    expect(await peer.next(ofType('resync', (f) => f.topic === 'short:a'))).toMatchObject({
      reason: 'too_old',
      seq: 5,
    })
    const replayed = await peer.collect(
      ofType('event', (f) => f.topic === 'long:a'),
      4,
    )
    expect(replayed.map((f) => (f as { seq: number }).seq)).toEqual([2, 3, 4, 5])
  })
})

describe('capabilities in the token', () => {
  it('allow exactly what they list, whatever the rules say', async () => {
    await fixture.start({ authenticate: byToken, rules: chatRules })
    const { peer } = await open('v=1&token=carol')
    peer.send([
      { type: 'subscribe', id: '1', topic: 'doc:42' },
      { type: 'subscribe', id: '2', topic: 'doc:43' },
      { type: 'subscribe', id: '3', topic: 'public:news' },
      { type: 'subscribe', id: '4', topic: 'chat:x' },
    ])
    expect(await answerTo(peer, '1')).toMatchObject({ type: 'subscribed' })
    expect(await answerTo(peer, '2')).toEqual(
      forbidden(
        'doc:43',
        "not allowed to subscribe to doc:43: the token's capabilities do not include it",
        '2',
      ),
    )
    // public:* is open to anyone by the rules, but this token is limited to what it lists.
    expect(await answerTo(peer, '3')).toMatchObject({ type: 'error', code: 'FORBIDDEN' })
    expect(await answerTo(peer, '4')).toMatchObject({ type: 'subscribed' })
    peer.send([
      { type: 'setPresence', id: '5', topic: 'chat:x', state: {} },
      { type: 'publish', id: '6', topic: 'chat:x', kind: 'created' },
    ])
    expect(await answerTo(peer, '5')).toMatchObject({ type: 'ack' })
    expect(await answerTo(peer, '6')).toMatchObject({ type: 'error', code: 'FORBIDDEN' })
  })

  it('refuse the connect when the claim is malformed', async () => {
    const t = await fixture.start({ authenticate: byToken })
    const { response, body } = await SsePeer.open(t.url, 'v=1&token=mallory')
    expect(response.status).toBe(401)
    expect(body).toEqual({
      type: 'error',
      code: 'UNAUTHORIZED',
      message: "the token's caps claim is malformed: it must be an object of topic pattern → list of actions",
    })
  })

  it('come from a signed JWT, and a refresh with narrower ones ends what they no longer allow', async () => {
    const secret = 'a-test-secret-of-enough-length-0123456789'
    const key = new TextEncoder().encode(secret)
    const sign = (caps: Record<string, string[]>) =>
      new SignJWT({ caps })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('dana')
        .setExpirationTime('1h')
        .sign(key)
    await fixture.start({ jwt: { secret } })
    const token = await sign({ 'doc:1': ['subscribe'], 'doc:2': ['subscribe'] })
    const { peer } = await open(`v=1&token=${token}`)
    peer.send([
      { type: 'subscribe', id: 'a', topic: 'doc:1' },
      { type: 'subscribe', id: 'b', topic: 'doc:2' },
    ])
    expect(await answerTo(peer, 'a')).toMatchObject({ type: 'subscribed' })
    expect(await answerTo(peer, 'b')).toMatchObject({ type: 'subscribed' })
    peer.send({ type: 'auth', id: 'r', token: await sign({ 'doc:1': ['subscribe'] }) })
    expect(await peer.next(ofType('unsubscribed'))).toEqual({
      type: 'unsubscribed',
      topic: 'doc:2',
      reason: 'FORBIDDEN',
    })
    expect(await answerTo(peer, 'r')).toMatchObject({ type: 'ack' })
  })

  it('an anonymous connect is refused with a JWT option unless allowAnonymous is set', async () => {
    const secret = 'a-test-secret-of-enough-length-0123456789'
    let t: TestServer = await fixture.start({ jwt: { secret } })
    expect((await SsePeer.open(t.url, 'v=1')).response.status).toBe(401)
    await t.close()
    t = await fixture.start({ jwt: { secret, allowAnonymous: true } })
    const { peer, welcome } = await SsePeer.open(t.url, 'v=1')
    expect(welcome).toMatchObject({ identity: null })
    peer?.close()
  })
})

describe('authorize', () => {
  it('has the last word, seeing the verdict of the rules', async () => {
    const seen: Array<[string, string, boolean]> = []
    await fixture.start({
      rules: [{ topic: 'room:*', subscribe: 'anyone' }],
      authorize: (_identity, topic, action, { allowed }) => {
        seen.push([topic, action, allowed])
        return allowed ? topic !== 'room:closed' : topic === 'extra'
      },
    })
    const { peer } = await open()
    peer.send([
      { type: 'subscribe', id: '1', topic: 'room:a' },
      { type: 'subscribe', id: '2', topic: 'room:closed' },
      { type: 'subscribe', id: '3', topic: 'extra' },
    ])
    expect(await answerTo(peer, '1')).toMatchObject({ type: 'subscribed' })
    // With an authorize, the message does not guess at a reason the app did not give.
    expect(await answerTo(peer, '2')).toEqual(
      forbidden('room:closed', 'not allowed to subscribe to room:closed', '2'),
    )
    expect(await answerTo(peer, '3')).toMatchObject({ type: 'subscribed' })
    expect(seen).toEqual([
      ['room:a', 'subscribe', true],
      ['room:closed', 'subscribe', true],
      ['extra', 'subscribe', false],
    ])
  })
})

describe('maxSubscriptions', () => {
  it('holds against subscribes pipelined while authorize is awaited', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const t = await fixture.start({
      limits: { maxSubscriptions: 3 },
      authorize: async () => {
        await gate
        return true
      },
    })
    const { peer } = await open()
    // Two in one batch and the rest one by one, all while the first authorize is still pending.
    peer.send([
      { type: 'subscribe', id: 't0', topic: 't0' },
      { type: 'subscribe', id: 't1', topic: 't1' },
    ])
    for (let n = 2; n < 6; n++) peer.send({ type: 'subscribe', id: `t${n}`, topic: `t${n}` })
    const refused = await peer.collect(ofType('error'), 3)
    expect(refused.map((f) => [(f as { id: string }).id, (f as { code: string }).code])).toEqual([
      ['t3', 'LIMIT_EXCEEDED'],
      ['t4', 'LIMIT_EXCEEDED'],
      ['t5', 'LIMIT_EXCEEDED'],
    ])
    release()
    const accepted = await peer.collect(ofType('subscribed'), 3)
    expect(accepted.map((f) => (f as { topic: string }).topic).sort()).toEqual(['t0', 't1', 't2'])
    expect(t.server.stats().subscriptions).toBe(3)
    // A refused authorize gives its slot back.
    peer.send({ type: 'unsubscribe', id: 'u', topic: 't0' })
    await answerTo(peer, 'u')
    peer.send({ type: 'subscribe', id: 'again', topic: 't9' })
    expect(await answerTo(peer, 'again')).toMatchObject({ type: 'subscribed' })
  })
})
