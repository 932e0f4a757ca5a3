// Throttled and debounced publishes as a subscriber sees them over a real WebSocket, with the
// server's timers on a fake clock; the exact timing rules are in src/core/publish-pacing.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ServerError } from '../src/server-error'
import { ofType, serverPerTest, type WsPeer } from './helpers'

const fixture = serverPerTest()
afterEach(() => {
  vi.useRealTimers()
})

async function subscriber(topic: string): Promise<WsPeer> {
  const { peer } = await fixture.open()
  peer.send({ type: 'subscribe', id: 's', topic })
  await peer.next(ofType('subscribed'))
  return peer
}

/** Publishes an unpaced `end` marker and returns the keys of every event the peer got before it. */
async function keysUntilEnd(peer: WsPeer, publish: () => Promise<unknown>): Promise<unknown[]> {
  await publish()
  await peer.next(ofType('event', (frame) => frame.key === 'end'))
  return peer.frames.filter((frame) => frame.type === 'event').map((frame) => (frame as { key?: string }).key)
}

describe('publish with throttle and debounce', () => {
  it('delivers the leading and the trailing publish of a throttle window, and only the last of a debounce', async () => {
    const t = await fixture.start()
    const peer = await subscriber('cursors')
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const throttle = { key: 'user-1', ms: 100 }
    const debounce = { key: 'user-1', ms: 100 }
    const lead = t.server.publish('cursors', { kind: 'set', key: 'lead' }, { throttle })
    const replaced = t.server.publish('cursors', { kind: 'set', key: 'replaced' }, { throttle })
    const trail = t.server.publish('cursors', { kind: 'set', key: 'trail' }, { throttle })
    await vi.advanceTimersByTimeAsync(99)
    expect((await lead)?.seq).toBe(1)
    expect(await replaced).toBeNull()
    await vi.advanceTimersByTimeAsync(1)
    expect((await trail)?.seq).toBe(2)

    const typing = [
      t.server.publish('cursors', { kind: 'set', key: 'typing-1' }, { debounce }),
      t.server.publish('cursors', { kind: 'set', key: 'typing-2' }, { debounce }),
    ]
    await vi.advanceTimersByTimeAsync(99)
    const typed = t.server.publish('cursors', { kind: 'set', key: 'typing-3' }, { debounce })
    await vi.advanceTimersByTimeAsync(100)
    expect(await Promise.all([...typing, typed])).toEqual([null, null, expect.objectContaining({ seq: 3 })])

    const keys = await keysUntilEnd(peer, () => t.server.publish('cursors', { kind: 'set', key: 'end' }))
    expect(keys).toEqual(['lead', 'trail', 'typing-3', 'end'])
  })

  it('appends what is still pending when the server closes, before the connections end', async () => {
    const t = await fixture.start()
    const peer = await subscriber('progress')
    void t.server.publish('progress', { kind: 'set', key: 'first' }, { throttle: { key: 'job', ms: 60_000 } })
    void t.server.publish('progress', { kind: 'set', key: 'last' }, { throttle: { key: 'job', ms: 60_000 } })
    void t.server.publish('progress', { kind: 'set', key: 'quiet' }, { debounce: { key: 'job', ms: 60_000 } })
    await peer.next(ofType('event', (frame) => frame.key === 'first'))
    await t.close()
    expect(
      peer.frames.filter((frame) => frame.type === 'event').map((frame) => (frame as { key: string }).key),
    ).toEqual(['first', 'last', 'quiet'])
  })

  it('refuses more than one pacing, and a throttle or debounce without a key and a positive ms', async () => {
    const t = await fixture.start()
    const event = { kind: 'set' } as const
    const refusals = await Promise.all(
      [
        { coalesceKey: 'k', throttle: { key: 'k', ms: 10 } },
        { throttle: { key: 'k', ms: 0 } },
        { debounce: { ms: 10 } },
        { debounce: { key: 'k', ms: Number.POSITIVE_INFINITY } },
      ].map((options) =>
        t.server.publish('t', event, options as never).then(
          () => 'published',
          (error: ServerError) => [error instanceof ServerError, error.code, error.message],
        ),
      ),
    )
    expect(refusals).toEqual([
      [true, 'BAD_REQUEST', 'publish to t: give one of coalesceKey, throttle and debounce, not 2'],
      [
        true,
        'BAD_REQUEST',
        'publish to t: throttle must be { key: string, ms: a positive number }, received {"key":"k","ms":0}',
      ],
      [
        true,
        'BAD_REQUEST',
        'publish to t: debounce must be { key: string, ms: a positive number }, received {"ms":10}',
      ],
      [
        true,
        'BAD_REQUEST',
        'publish to t: debounce must be { key: string, ms: a positive number }, received {"key":"k","ms":null}',
      ],
    ])
  })
})
