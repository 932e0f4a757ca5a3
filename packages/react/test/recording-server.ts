/**
 * A real Sluice server on 127.0.0.1 that records what it saw of the subscriptions, for the
 * useRealtime tests that count frames: `subscribe todos` when a subscription went live,
 * `unsubscribe todos` (or `unsubscribe todos DISCONNECTED`) when it ended, `snapshot todos`
 * per snapshot served. A test awaits a condition on that log with `seen()` instead of sleeping:
 * the wait is woken by the server hooks themselves, so it also works under fake timers.
 */
import type { SluiceClient } from '@sluice/client'
import type { SluiceServerOptions } from '@sluice/server-node'
import type { TestServer } from '@sluice/server-node/testing'
import {
  connect as connectClient,
  realTimers,
  startServer,
  until as untilNamed,
  type Watchable,
} from '@sluice/test-support'

// Closing is the repo's shared harness; re-exported so these tests import one module.
export { closeAll } from '@sluice/test-support'

type Snapshot = Awaited<ReturnType<NonNullable<SluiceServerOptions['snapshot']>>>

export interface RecordingServer extends TestServer {
  /** What the server saw, in order. */
  readonly log: string[]
  /** Resolves once `predicate` holds for the log (checked now and after every entry). */
  seen(predicate: (log: readonly string[]) => boolean): Promise<void>
}

/** A server whose snapshot of a topic is `snapshot(topic, n)` for the n-th snapshot served (from 1), closed by `closeAll`. */
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
  const server = await startServer({
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

/**
 * A WebSocket client of `server` on real timers, closed by `closeAll`: the client's own timers
 * (handshake, pings) keep real time while a test fakes the hooks' timers.
 */
export function connect(server: TestServer): SluiceClient {
  return connectClient(server, { timers: realTimers })
}

/**
 * The shared `until`, whose timeout names what it waited for; a caller here that does not say
 * (use-suspense-realtime.test.tsx) gets a generic name rather than no message.
 */
export function until<T>(
  store: Watchable<T>,
  predicate: (value: T) => boolean,
  what = 'the store to satisfy the predicate',
): Promise<T> {
  return untilNamed(store, predicate, what)
}
