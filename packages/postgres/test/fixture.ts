import { createClient, custom } from '@sluice/client'
import type { SluiceServer } from '@sluice/server-node'
import { createTestServer, type TestServer } from '@sluice/server-node/testing'
import WebSocket from 'ws'
import { until } from '../../client/test/integration/harness'
import {
  installOutbox,
  type OutboxSource,
  type OutboxSourceOptions,
  outboxSource,
  type PostgresSourceError,
  type PublishTarget,
  type SourceTransition,
} from '../src/index'
import type { PostgresServer } from './postgres-server'

export { until }

/**
 * What every source test needs, torn down by `close()`: a Sluice server (subscriptions open to
 * anyone), WebSocket clients, outbox sources reporting into arrays, on a real PostgreSQL.
 */
export function fixture(getPg: () => PostgresServer) {
  const cleanups: Array<() => Promise<void> | void> = []
  let server: TestServer | undefined

  return {
    get pg() {
      return getPg()
    },
    async sluice(): Promise<TestServer> {
      if (server === undefined) {
        server = await createTestServer({ rules: [{ topic: '**', subscribe: 'anyone' }], rateLimit: false })
        const started = server
        cleanups.push(() => started.close())
      }
      return server
    },
    /** An outbox table of its own (a test's name keeps tests apart on one cluster). */
    async outbox(table: string): Promise<string> {
      await installOutbox({ query: (sql) => getPg().query(sql) }, { table })
      return table
    },
    /** A subscriber collecting each event's `data.n` (or `kind:key` without one), in order. */
    async subscriber(topic: string) {
      const { url } = await this.sluice()
      const client = createClient({
        url,
        WebSocket,
        transports: ['ws'],
        backoff: { baseMs: 10, factor: 2, maxMs: 50 },
      })
      cleanups.push(() => client.close())
      const subscription = client.subscribe(topic, {
        merge: custom<unknown[]>((seen, event) => {
          const n = (event.data as { n?: unknown } | undefined)?.n
          return [...seen, n ?? `${event.kind}:${event.key}`]
        }, []),
        onResync: () => {
          throw new Error(`no resync expected on ${topic}`)
        },
      })
      await until(subscription.$state, (s) => s.status === 'live', `${topic} live`)
      return {
        values: () => subscription.$state.get().data,
        /** Resolves once `count` events arrived; the caller asserts the exact list. */
        received: (count: number) =>
          until(
            subscription.$state,
            (s) => s.data.length >= count,
            `${count} events on ${topic}`,
            20_000,
          ).then((s) => s.data),
      }
    },
    /** An outbox source whose errors and transitions are collected; stopped by close(). */
    source(target: PublishTarget, options: Partial<OutboxSourceOptions> & { table: string }) {
      const errors: PostgresSourceError[] = []
      const transitions: SourceTransition[] = []
      const source: OutboxSource = outboxSource(target, {
        connection: { connectionString: getPg().url, application_name: `source-${options.table}` },
        retryDelay: () => 20,
        onError: (error) => errors.push(error),
        onStateChange: (transition) => transitions.push(transition),
        ...options,
      })
      cleanups.push(() => source.stop())
      return { source, errors, transitions }
    },
    async close() {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
      server = undefined
    },
  }
}

/** A publish target in front of a real server that records each publish id it forwards. */
export function recording(server: SluiceServer) {
  const ids: string[] = []
  const target: PublishTarget = {
    publish(topic, event, options) {
      ids.push(options.id)
      return server.publish(topic, event, options)
    },
  }
  return { target, ids }
}

/**
 * A publish target that stops before forwarding the publish with id `at` (once) until the test
 * calls `release()`: a fault can then be made while the source is in the middle of a batch.
 */
export function gated(server: SluiceServer, at: string) {
  let reached!: () => void
  const atGate = new Promise<void>((resolve) => {
    reached = resolve
  })
  let release!: () => void
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  let passed = false
  const ids: string[] = []
  const target: PublishTarget = {
    async publish(topic, event, options) {
      ids.push(options.id)
      if (options.id === at && !passed) {
        passed = true
        reached()
        await released
      }
      return server.publish(topic, event, options)
    },
  }
  return { target, ids, atGate, release }
}

/** Inserts events {n} for n in [from, to] on `topic`, `perTransaction` rows per transaction. */
export async function insertEvents(
  pg: PostgresServer,
  table: string,
  topic: string,
  from: number,
  to: number,
  perTransaction = 1,
): Promise<void> {
  for (let start = from; start <= to; start += perTransaction) {
    const end = Math.min(to, start + perTransaction - 1)
    await pg.query(
      `INSERT INTO ${table} (topic, kind, data) SELECT $1, 'created', jsonb_build_object('n', n) FROM generate_series($2::int, $3::int) AS n ORDER BY n`,
      [topic, start, end],
    )
  }
}

/**
 * Resolves once `predicate` holds for what `read` returns (sync or async), checked every 5 ms;
 * rejects after `timeoutMs` naming `what` and the last value. For state that has no change
 * event (a source's position, a row count in Postgres).
 */
export async function waitFor<T>(
  read: () => T | Promise<T>,
  predicate: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (predicate(value)) return value
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** The number of server backends with this application_name (a source's connections). */
export async function backendCount(pg: PostgresServer, applicationName: string): Promise<number> {
  const [row] = await pg.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  )
  return row?.n ?? -1
}

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)
