/**
 * A real Sluice server on 127.0.0.1 that records what it saw of the subscriptions, for the
 * useRealtime tests that count frames: `subscribe todos` when a subscription went live,
 * `unsubscribe todos` (or `unsubscribe todos DISCONNECTED`) when it ended, `snapshot todos`
 * per snapshot served. A test awaits a condition on that log with `seen()` instead of sleeping:
 * the wait is woken by the server hooks themselves, so it also works under fake timers.
 */
import { createClient, type SluiceClient, type TimerProvider } from '@sluice/client'
import type { SluiceServerOptions } from '@sluice/server-node'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'

type Snapshot = Awaited<ReturnType<NonNullable<SluiceServerOptions['snapshot']>>>

import type { ReadableAtom } from 'nanostores'

export interface RecordingServer extends TestServer {
  /** What the server saw, in order. */
  readonly log: string[]
  /** Resolves once `predicate` holds for the log (checked now and after every entry). */
  seen(predicate: (log: readonly string[]) => boolean): Promise<void>
}

// Captured at import, before a test installs fake timers: the client's own timers (handshake,
// pings) keep real time while the hooks' timers are faked.
const realTimers: TimerProvider = {
  setTimeout: globalThis.setTimeout.bind(globalThis),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
}

const servers: TestServer[] = []
const clients: SluiceClient[] = []

/** A server whose snapshot of a topic is `snapshot(topic, n)` for the n-th snapshot served (from 1). */
export async function startRecordingServer(
  options: SluiceServerOptions & { snapshotOf?: (topic: string, n: number) => Snapshot } = {},
): Promise<RecordingServer> {
  const { snapshotOf, ...rest } = options
  const log: string[] = []
  const waiters = new Set<() => void>()
  const record = (entry: string) => {
    log.push(entry)
    for (const check of [...waiters]) check()
  }
  let served = 0
  const server = await createTestServer({
    onSubscribe: (_connection, topic) => record(`subscribe ${topic}`),
    onUnsubscribe: (_connection, topic, reason) =>
      record(`unsubscribe ${topic}${reason ? ` ${reason}` : ''}`),
    ...(snapshotOf && {
      snapshot: (topic: string) => {
        served++
        record(`snapshot ${topic}`)
        return snapshotOf(topic, served)
      },
    }),
    ...rest,
  })
  servers.push(server)
  return {
    ...server,
    log,
    seen(predicate) {
      return new Promise((resolve) => {
        const check = () => {
          if (!predicate(log)) return
          waiters.delete(check)
          resolve()
        }
        waiters.add(check)
        check()
      })
    },
  }
}

/** A WebSocket client of `server` on real timers, closed by {@link closeAll}. */
export function connect(server: TestServer): SluiceClient {
  const client = createClient({ url: server.url, transports: ['ws'], timers: realTimers })
  clients.push(client)
  return client
}

/** Closes every client, then every server. */
export async function closeAll(): Promise<void> {
  for (const client of clients.splice(0)) client.close()
  await Promise.all(servers.splice(0).map((server) => server.close()))
}

/** Resolves once the store's value satisfies `predicate`; woken by the store, so fake timers do not stall it. */
export function until<T>(store: ReadableAtom<T>, predicate: (value: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const stop = store.subscribe((value) => {
      if (!predicate(value)) return
      queueMicrotask(() => stop())
      resolve(value)
    })
  })
}
