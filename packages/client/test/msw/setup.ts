/**
 * Shared wiring of the msw tests: one msw server per test file (msw patches the globals of
 * the worker the file runs in, so other test files keep the real WebSocket and fetch), fake
 * timers and clock for every test, and clients that are closed after each test.
 */
import { ClientError, type ClientOptions, createClient, custom, type SluiceClient } from '@sluice/client'
import type { Json } from '@sluice/protocol'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest'
import { BASE_URL, type MockSluiceOptions, mockSluice } from './mock-sluice'

export const START = Date.UTC(2026, 0, 1)

/** Registers the msw server and fake-timer hooks of a test file; returns a per-test factory. */
export function useMockNetwork() {
  const server = setupServer()
  const clients: SluiceClient[] = []
  beforeAll(() => server.listen({ onUnhandledFrame: 'error' }))
  beforeEach(() => {
    // Microtasks and setImmediate stay real: msw and stream reads settle through them.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
    vi.setSystemTime(START)
  })
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close()
    await settle()
    vi.useRealTimers()
    server.resetHandlers()
  })
  afterAll(() => server.close())

  return {
    /** Installs a scripted Sluice server for this test. */
    sluice: (options?: MockSluiceOptions) => mockSluice(server, options),
    /** A client of the mock server with jitter fixed at one half, closed after the test. */
    client(options: Partial<ClientOptions> = {}): SluiceClient {
      const client = createClient({ url: BASE_URL, random: () => 0.5, lazy: false, ...options })
      clients.push(client)
      return client
    },
  }
}

/** Lets every pending microtask, msw interception and stream read run (real macrotask turns). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** Advances fake time by `ms`, then settles. */
export async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms)
  await settle()
}

/** A merge that records `epoch:seq` of each event, so a test sees exactly what reached the store. */
export const seqLog = () =>
  custom<string[]>((log, event) => [...log, `${event.epoch}:${event.seq}`], [], {
    fromSnapshot: (data: Json) => [`snapshot:${JSON.stringify(data)}`],
  })

export { record, statuses } from '../flows'

/** The ClientError a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof ClientError) return error
    throw error
  }
  throw new Error('expected a rejection with a ClientError')
}
