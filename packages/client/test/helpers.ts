import type { Json } from '@sluice/protocol'
import { vi } from 'vitest'
import { type ClientOptions, createClient } from '../src/client'
import { custom } from '../src/merge/custom'
import { createFakeServer, type FakeServerOptions } from './fake-server'

export const URL_BASE = 'http://sluice.test/realtime'

/** A client wired to a fresh fake server, connecting at once, with jitter fixed at one half. */
export function setup(options: Partial<ClientOptions> = {}, serverOptions: FakeServerOptions = {}) {
  const server = createFakeServer(serverOptions)
  const client = createClient({
    url: URL_BASE,
    WebSocket: server.WebSocket,
    fetch: server.fetch,
    environment: server.environment,
    random: () => 0.5,
    lazy: false,
    ...options,
  })
  return { server, client }
}

export function useFakeTime() {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
  vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
}

/** Advances fake time and lets stream reads and microtasks settle. */
export async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms)
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

export { event } from './flows'

/** A merge that records `epoch:seq` of each event, so tests see exactly what reached the store. */
export const seqLog = () =>
  custom<string[]>((log, e) => [...log, `${e.epoch}:${e.seq}`], [], {
    fromSnapshot: (data: Json) =>
      Array.isArray(data) ? data.map(String) : [`snapshot:${JSON.stringify(data)}`],
  })
