import { describe, expect, it } from 'vitest'
import type { Identity } from '../identity'
import { grants } from './access'
import { capabilitiesOf } from './capabilities'
import { compilePattern } from './pattern'
import { Rules } from './rules'

const alice: Identity = { id: 'alice', claims: { role: 'admin', teams: ['red', 'blue'], beta: false } }
const bob: Identity = { id: 'bob', claims: { role: 'member' } }

describe('compilePattern', () => {
  it('matches * as one segment, ** as the rest, {sub} as a captured segment, the rest literally', () => {
    const chat = compilePattern('chat:*', ':')
    expect(['chat:a', 'chat:a:b', 'chat:', 'chat', 'xchat:a'].map((t) => chat.match(t))).toEqual([
      '',
      undefined,
      undefined,
      undefined,
      undefined,
    ])
    const user = compilePattern('user:{sub}:**', ':')
    expect(user.hasSub).toBe(true)
    expect(['user:42:inbox', 'user:42:a:b', 'user:42', 'user::x'].map((t) => user.match(t))).toEqual([
      '42',
      '42',
      undefined,
      undefined,
    ])
    // Regular expression characters in a pattern are literal.
    expect(compilePattern('a.b+c', ':').match('a.b+c')).toBe('')
    expect(compilePattern('a.b+c', ':').match('aXb+c')).toBeUndefined()
    expect(compilePattern('todos.*', '.').match('todos.add')).toBe('')
    expect(compilePattern('todos.*', '.').match('todos.a.b')).toBeUndefined()
  })

  it('refuses patterns that cannot mean what they say, naming them', () => {
    expect(() => compilePattern('a:**:b', ':')).toThrow('pattern "a:**:b": ** may only be the last segment')
    expect(() => compilePattern('a:{user}', ':')).toThrow(
      'pattern "a:{user}": {user} is not a placeholder; only {sub} (the caller\'s id) is',
    )
    expect(() => compilePattern('a:b*', ':')).toThrow(
      'pattern "a:b*": * and {sub} must be a whole segment, not part of "b*"',
    )
    expect(() => compilePattern('a::b', ':')).toThrow('pattern "a::b" has an empty segment')
    expect(() => compilePattern('', ':')).toThrow('a pattern must be a non-empty string, received ""')
  })
})

describe('grants', () => {
  it('answers each access value', () => {
    expect(grants('anyone', null, undefined)).toBe(true)
    expect(grants('authenticated', null, undefined)).toBe(false)
    expect(grants('authenticated', bob, undefined)).toBe(true)
    expect(grants('owner', alice, 'alice')).toBe(true)
    expect(grants('owner', bob, 'alice')).toBe(false)
    expect(grants('owner', null, 'alice')).toBe(false)
    expect(grants('nobody', alice, undefined)).toBe(false)
    expect(grants({ claim: 'role' }, bob, undefined)).toBe(true)
    expect(grants({ claim: 'beta' }, alice, undefined)).toBe(false)
    expect(grants({ claim: 'role', equals: 'admin' }, alice, undefined)).toBe(true)
    expect(grants({ claim: 'role', equals: 'admin' }, bob, undefined)).toBe(false)
    expect(grants({ claim: 'teams', equals: ['green', 'blue'] }, alice, undefined)).toBe(true)
    expect(grants({ claim: 'teams', equals: 'green' }, alice, undefined)).toBe(false)
    expect(grants({ claim: 'role' }, null, undefined)).toBe(false)
    expect(grants(['owner', { claim: 'role', equals: 'admin' }], alice, 'bob')).toBe(true)
    expect(grants(['owner', { claim: 'role', equals: 'admin' }], bob, 'alice')).toBe(false)
  })
})

describe('Rules', () => {
  it('without topic rules: anyone subscribes and joins presence, nobody publishes from a client', () => {
    const rules = new Rules()
    expect(rules.topic(null, 'x', 'subscribe')).toEqual({ allowed: true })
    expect(rules.topic(null, 'x', 'presence')).toEqual({ allowed: true })
    expect(rules.topic(alice, 'x', 'publish')).toEqual({
      allowed: false,
      reason: 'client publishes are refused unless a rule allows them',
    })
  })

  it('decides by the first matching rule and refuses topics no rule matches', () => {
    const rules = new Rules([
      { topic: 'chat:lobby', subscribe: 'anyone' },
      { topic: 'chat:*', subscribe: 'authenticated', publish: 'authenticated', presence: false },
      { topic: 'user:{sub}:**', subscribe: 'owner', publish: { claim: 'role', equals: 'admin' } },
      { procedure: 'admin.*', call: { claim: 'role', equals: 'admin' } },
    ])
    expect(rules.topic(null, 'chat:lobby', 'subscribe').allowed).toBe(true)
    // The first rule wins: chat:lobby is not open to publishes although chat:* is.
    expect(rules.topic(alice, 'chat:lobby', 'publish').allowed).toBe(false)
    expect(rules.topic(null, 'chat:room', 'subscribe').allowed).toBe(false)
    expect(rules.topic(bob, 'chat:room', 'publish').allowed).toBe(true)
    expect(rules.topic(bob, 'chat:room', 'presence')).toEqual({
      allowed: false,
      reason: 'presence is off for the topic',
    })
    expect(rules.presenceOn('chat:room')).toBe(false)
    expect(rules.presenceOn('chat:lobby')).toBe(true)
    expect(rules.topic(bob, 'user:bob:inbox', 'subscribe').allowed).toBe(true)
    expect(rules.topic(bob, 'user:alice:inbox', 'subscribe')).toEqual({
      allowed: false,
      reason: 'the rule user:{sub}:** does not allow subscribe',
    })
    // Presence follows subscribe when a rule does not set it.
    expect(rules.topic(bob, 'user:bob:inbox', 'presence').allowed).toBe(true)
    expect(rules.topic(alice, 'other', 'subscribe')).toEqual({
      allowed: false,
      reason: 'no rule matches the topic',
    })
    expect(rules.procedure('admin.reset')).toEqual({ claim: 'role', equals: 'admin' })
    expect(rules.procedure('todos.add')).toBeUndefined()
  })

  it('keeps history per rule', () => {
    const rules = new Rules([
      { topic: 'chat:*', subscribe: 'anyone', history: { maxEvents: 50, maxAgeMs: 60_000 } },
      { topic: '**', subscribe: 'anyone' },
    ])
    expect(rules.hasRetention).toBe(true)
    expect(rules.retention('chat:a')).toEqual({ maxEvents: 50, maxAgeMs: 60_000 })
    expect(rules.retention('news')).toBeUndefined()
  })

  it('fails at start on a malformed rule, saying where', () => {
    expect(() => new Rules([{ topic: 'a', procedure: 'b' } as never])).toThrow(
      'rules[0] must have exactly one of `topic` (a topic rule) or `procedure` (a procedure rule)',
    )
    expect(() => new Rules([{ topic: 'a:*', subscribe: 'owner' }])).toThrow(
      "rules[0].subscribe is 'owner' but the pattern has no {sub} segment naming the owner",
    )
    expect(() => new Rules([{ topic: 'a', subscribe: 'everyone' as never }])).toThrow(
      `rules[0].subscribe must be 'anyone', 'authenticated', 'owner', 'nobody', { claim } or a list of them, received "everyone"`,
    )
    expect(() => new Rules([{ topic: 'a', history: { maxEvents: 0 } }])).toThrow(
      'rules[0].history.maxEvents must be an integer ≥ 1, received 0',
    )
    expect(() => new Rules([{ topic: 'a:**:b' }])).toThrow(
      'rules[0].topic: pattern "a:**:b": ** may only be the last segment',
    )
    expect(() => new Rules([{ procedure: 'x' } as never])).toThrow(
      'rules[0].call is required: who may call x',
    )
  })
})

describe('capabilitiesOf', () => {
  it('reads the claim, allows exactly what it lists, and holds {sub} to the subject', () => {
    const identity: Identity = {
      id: 'carol',
      claims: {
        caps: { 'doc:42': ['subscribe'], 'chat:*': ['subscribe', 'publish'], 'user:{sub}:**': ['presence'] },
      },
    }
    const caps = capabilitiesOf(identity, 'caps')
    expect(caps).not.toBeNull()
    const allows = (topic: string, action: 'subscribe' | 'publish' | 'presence') =>
      caps?.allows(identity, topic, action)
    expect(allows('doc:42', 'subscribe')).toBe(true)
    expect(allows('doc:42', 'publish')).toBe(false)
    expect(allows('doc:43', 'subscribe')).toBe(false)
    expect(allows('chat:x', 'publish')).toBe(true)
    expect(allows('user:carol:feed', 'presence')).toBe(true)
    expect(allows('user:dave:feed', 'presence')).toBe(false)
    expect(capabilitiesOf({ id: 'x', claims: {} }, 'caps')).toBeNull()
    expect(capabilitiesOf(null, 'caps')).toBeNull()
  })

  it('refuses a malformed claim with UNAUTHORIZED instead of falling back to the rules', () => {
    for (const [caps, detail] of [
      [['doc:42'], 'it must be an object of topic pattern → list of actions'],
      [{ 'doc:42': 'subscribe' }, '"doc:42" must list actions among subscribe, publish, presence'],
      [{ 'doc:42': ['read'] }, '"doc:42" must list actions among subscribe, publish, presence'],
      [{ 'a:**:b': ['subscribe'] }, 'pattern "a:**:b": ** may only be the last segment'],
    ] as const) {
      expect(() => capabilitiesOf({ id: 'x', claims: { caps } }, 'caps')).toThrow(
        expect.objectContaining({
          code: 'UNAUTHORIZED',
          message: `the token's caps claim is malformed: ${detail}`,
        }),
      )
    }
  })
})
