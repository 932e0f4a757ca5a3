/**
 * Batching as it reaches the wire, on msw's stand-ins for the real globals: what one
 * WebSocket message or one SSE command POST body holds (a bare frame, or a JSON array of a
 * tick's frames cut at the welcome's `maxBatch`), recorded after the client's real encoding
 * and the real fetch; and a burst read from one real WebSocket message or SSE chunk reaching
 * the store as one notification. Boundary tests: the fake server (test/fake-server.ts) would
 * see the same frames without the transports' own framing.
 */
import { custom } from '@sluice/client'
import { DEFAULT_LIMITS } from '@sluice/protocol'
import { describe, expect, test } from 'vitest'
import { events, subscribed } from '../flows'
import { advance, useMockNetwork } from './setup'

const net = useMockNetwork()
const ignore = () => {}

/** Counts events and remembers the last seq: cheap enough for bursts of thousands. */
const counting = () =>
  custom<{ count: number; last: number }>((state, event) => ({ count: state.count + 1, last: event.seq }), {
    count: 0,
    last: 0,
  })

describe('outbound batching', () => {
  test.each(['ws', 'sse'] as const)(
    'three commands in one tick leave as one %s message holding a JSON array of the 3 frames',
    async (transport) => {
      const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
      const client = net.client({ transports: [transport] })
      await advance(0)
      client.subscribe('todos', { merge: counting() })
      client
        .publish('todos', { kind: 'created', key: 't1', data: { title: 'x' } }, { id: 'p1' })
        .catch(ignore)
      client.call('sum', { a: 1, b: 2 }).catch(ignore)
      await advance(0)
      expect(sluice.last.kind).toBe(transport)
      expect(sluice.last.messages).toHaveLength(1)
      expect(JSON.parse(sluice.last.messages[0] as string)).toEqual([
        { type: 'subscribe', id: expect.any(String), topic: 'todos' },
        { type: 'publish', id: 'p1', topic: 'todos', kind: 'created', key: 't1', data: { title: 'x' } },
        { type: 'call', id: expect.any(String), name: 'sum', args: { a: 1, b: 2 } },
      ])
    },
  )

  test('a lone command is sent as a bare frame; commands of different ticks are separate messages', async () => {
    const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
    const client = net.client()
    await advance(0)
    client.publish('t', { kind: 'a' }, { id: 'a' }).catch(ignore)
    await advance(0)
    client.publish('t', { kind: 'b' }, { id: 'b' }).catch(ignore)
    client.publish('t', { kind: 'c' }, { id: 'c' }).catch(ignore)
    await advance(0)
    expect(sluice.last.messages).toEqual([
      '{"type":"publish","id":"a","topic":"t","kind":"a"}',
      '[{"type":"publish","id":"b","topic":"t","kind":"b"},{"type":"publish","id":"c","topic":"t","kind":"c"}]',
    ])
  })

  test("batches are cut at the welcome's maxBatch", async () => {
    const sluice = net.sluice({
      welcome: { heartbeatMs: 1_000_000, limits: { ...DEFAULT_LIMITS, maxBatch: 2 } },
    })
    const client = net.client()
    await advance(0)
    for (const id of ['1', '2', '3', '4', '5']) client.publish('t', { kind: 'x' }, { id }).catch(ignore)
    await advance(0)
    expect(sluice.last.messages.map((m) => (m.startsWith('[') ? JSON.parse(m).length : 1))).toEqual([2, 2, 1])
    expect(sluice.last.frames.map((f) => (f as { id: string }).id)).toEqual(['1', '2', '3', '4', '5'])
  })
})

describe('inbound bursts', () => {
  test.each(['ws', 'sse'] as const)(
    'a burst of 1,000 events in one %s message notifies the store once',
    async (transport) => {
      const sluice = net.sluice({ welcome: { heartbeatMs: 1_000_000 } })
      const client = net.client({ transports: [transport] })
      await advance(0)
      const feed = client.subscribe('feed', { merge: counting() })
      await advance(0)
      sluice.last.send(subscribed('feed', 0))
      await advance(0)
      expect(feed.$state.get().status).toBe('live')

      let notified = 0
      feed.$state.listen(() => {
        notified++
      })
      sluice.last.send(events('feed', 1, 1000))
      await advance(0)
      expect(notified).toBe(1)
      expect(feed.$state.get()).toEqual({
        data: { count: 1000, last: 1000 },
        status: 'live',
        error: null,
        stale: null,
        position: { epoch: 'e1', seq: 1000 },
      })
    },
  )
})
