import { afterEach, describe, expect, it } from 'vitest'
import { createTestServer, type TestServer } from '../src/testing'
import { ofType, SsePeer, WsPeer } from './helpers'

let t: TestServer
afterEach(() => t?.close())

describe('smoke', () => {
  it('ws subscribe and event', async () => {
    t = await createTestServer()
    const { peer, welcome } = await WsPeer.open(t.url)
    expect(welcome.protocol).toBe(1)
    peer.send({ type: 'subscribe', id: 's1', topic: 'todos' })
    const sub = await peer.next(ofType('subscribed'))
    expect(sub).toMatchObject({ id: 's1', topic: 'todos', seq: 0 })
    await t.server.publish('todos', { kind: 'created', key: 'a', data: { n: 1 } })
    const ev = await peer.next(ofType('event'))
    expect(ev).toMatchObject({ topic: 'todos', seq: 1, kind: 'created' })
  })
  it('sse subscribe and event', async () => {
    t = await createTestServer()
    const { peer, welcome } = await SsePeer.open(t.url)
    expect(welcome?.commandKey).toBeTypeOf('string')
    await peer!.close()
  })
})
