/**
 * On shutdown every connection gets its own retry hint within a spread window, so that a fleet
 * told to come back does not come back in one instant (PROTOCOL.md § reconnect). Math.random is
 * replaced by a known sequence to check the exact hints.
 */
import type { ServerFrame } from '@sluice/protocol'
import { describe, expect, it, vi } from 'vitest'
import type { CloseOptions } from '../src/server-types'
import { createTestServer } from '../src/testing'
import { ofType, WsPeer } from './helpers'

async function hintsOnClose(peers: number, close: CloseOptions) {
  const t = await createTestServer()
  const opened = await Promise.all(Array.from({ length: peers }, () => WsPeer.open(t.url)))
  const draws = [0, 0.25, 0.5, 0.999]
  let call = 0
  vi.spyOn(Math, 'random').mockImplementation(() => draws[call++ % draws.length] as number)
  await t.server.close(close)
  const frames = await Promise.all(opened.map(({ peer }) => peer.next(ofType('reconnect'))))
  // In the order drawn: the server goes through its connections in an order of its own.
  return frames
    .map((frame) => (frame as Extract<ServerFrame, { type: 'reconnect' }>).retryAfterMs)
    .sort((a, b) => a - b)
}

describe('reconnect hints on shutdown', () => {
  it('gives each connection retryAfterMs plus its own share of retrySpreadMs', async () => {
    expect(await hintsOnClose(4, { retryAfterMs: 1000, retrySpreadMs: 2000 })).toEqual([
      1000, 1500, 2000, 2998,
    ])
  })

  it('spreads over retryAfterMs by default, or 1 ms per connection when there are more', async () => {
    expect(await hintsOnClose(4, { retryAfterMs: 1000 })).toEqual([1000, 1250, 1500, 1999])
    expect(await hintsOnClose(4, {})).toEqual([1000, 1250, 1500, 1999])
    // 4 connections and no shortest wait: a 4 ms window.
    expect(await hintsOnClose(4, { retryAfterMs: 0 })).toEqual([0, 1, 2, 3])
  })

  it('tells every connection exactly retryAfterMs with a zero window', async () => {
    expect(await hintsOnClose(3, { retryAfterMs: 250, retrySpreadMs: 0 })).toEqual([250, 250, 250])
  })
})
