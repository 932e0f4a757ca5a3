import type { ClientConfig } from 'pg'
import { type Gap, planBatch } from './batch-plan'
import { defaultMap } from './default-map'
import { tableName } from './identifiers'
import { DEFAULT_OUTBOX_TABLE } from './outbox-sql'
import { PostgresSourceError } from './postgres-source-error'
import { exponentialBackoff } from './retry-delay'
import { openConnection, type SourceConnection } from './source-connection'
import { createSourceState, type SourceState, type SourceTransition } from './source-state'
import { defaultTimers, type TimerProvider } from './timers'
import type { OutboxEvent, OutboxRow, PublishTarget } from './types'

/** Options of {@link outboxSource}. */
export interface OutboxSourceOptions {
  /** A connection string (`postgres://user:pass@host:5432/db`) or `pg`'s client config (ssl, password function...). */
  connection: string | ClientConfig
  /** The outbox table, as given to {@link outboxSql}. @default 'sluice_outbox' */
  table?: string
  /**
   * The source's name: its position is kept under it in `<table>_state`, and only one process at
   * a time reads for it (the others stand by). Two names read the same outbox independently.
   * @default 'default'
   */
  name?: string
  /**
   * Turns a row into a topic and an event; `null` or `undefined` skips the row. A throw skips it
   * too, reported as `MAP_FAILED`: one bad row must not hold back every later one.
   * @default {@link defaultMap}: the `topic`, `kind`, `key`, `data`, `meta` columns
   */
  map?: (row: OutboxRow) => OutboxEvent | null | undefined | Promise<OutboxEvent | null | undefined>
  /** Rows read per query; keep it within the server's dedup window size (1,000 by default). @default 100 */
  batchSize?: number
  /**
   * The safety poll: rows are also read this often when no NOTIFY came (and while standing by,
   * the reader lock is tried this often). NOTIFY is only a wake-up; this poll is what still finds
   * a row when a notification never arrived.
   * @default 5_000
   */
  pollIntervalMs?: number
  /** While an id is missing, how often the source checks whether the gap is final. @default 100 */
  gapCheckMs?: number
  /** How long an id may be missing before `onError` hears `GAP_STALLED` (once per gap). @default 30_000 */
  gapStallMs?: number
  /** The deadline of each query (and of connecting); past it the connection is given up and made again. @default 30_000 */
  queryTimeoutMs?: number
  /**
   * The delay before reconnect number `attempt` (0 for the first), and before retrying a failed
   * publish (its own count).
   * @default exponentialBackoff(): 125–250 ms first, doubling, up to 5–10 s
   */
  retryDelay?: (attempt: number) => number
  /**
   * Whether a failed publish is retried (the row and every later one wait) or the row is skipped
   * (`PUBLISH_REJECTED`).
   * @default retried unless the error's `code` is BAD_REQUEST, VALIDATION or LIMIT_EXCEEDED (the server refused the event itself)
   */
  shouldRetry?: (error: unknown) => boolean
  /** Hears every failure; the source carries on by itself. @default logs to console.error */
  onError?: (error: PostgresSourceError) => void
  /** Hears every state change (`connecting` → `live`, `reconnecting`...). */
  onStateChange?: (transition: SourceTransition) => void
  /** Stops the source, like {@link OutboxSource.stop}. */
  signal?: AbortSignal
  /** Timers and clock, for tests. @default the globals */
  timers?: TimerProvider
}

/** A running {@link outboxSource}. */
export interface OutboxSource {
  /** Where the source stands: `connecting`, `standby`, `live`, `reconnecting` or `stopped`. */
  readonly state: SourceState
  /** The id of the last row published or skipped, as a decimal string; undefined until the position is loaded. */
  readonly position: string | undefined
  /** The first missing id while a gap holds later rows back, as a decimal string. */
  readonly waitingFor: string | undefined
  /** Stops reading: a publish in progress finishes, the position is saved, the connection closes. Idempotent. */
  stop(): Promise<void>
}

const PERMANENT_CODES = new Set(['BAD_REQUEST', 'VALIDATION', 'LIMIT_EXCEEDED'])

const defaultShouldRetry = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code
  return !(typeof code === 'string' && PERMANENT_CODES.has(code))
}

interface ReadRow {
  id: bigint
  row: OutboxRow
}

/**
 * Publishes the rows of a transactional outbox to a Sluice server, in id order, each exactly
 * once within the server's dedup window — across lost connections, Postgres restarts and
 * process restarts. The app writes an outbox row in the same transaction as the change it
 * describes (by hand or with {@link captureSql}'s trigger); the source reads rows after its
 * position on every NOTIFY, on every (re)connect and on a safety poll, publishes each with the
 * publish id `pg:<table>:<id>`, and saves its position after each batch. A row whose id is
 * missing holds later rows back until the transaction that may commit it has ended (see the
 * README: concurrent transactions commit out of id order).
 *
 * The returned handle fits a config file's `sources`.
 *
 * @example
 * const source = outboxSource(sluice, { connection: process.env.DATABASE_URL })
 * process.on('SIGTERM', () => source.stop())
 * // In sluice.config.js: sources: [(server, { signal }) => outboxSource(server, { connection, signal })]
 */
export function outboxSource(server: PublishTarget, options: OutboxSourceOptions): OutboxSource {
  const {
    connection,
    table = DEFAULT_OUTBOX_TABLE,
    name = 'default',
    map = defaultMap,
    batchSize = 100,
    pollIntervalMs = 5_000,
    gapCheckMs = 100,
    gapStallMs = 30_000,
    queryTimeoutMs = 30_000,
    retryDelay = exponentialBackoff(),
    shouldRetry = defaultShouldRetry,
    onError = defaultOnError(table),
    onStateChange,
    signal,
    timers = defaultTimers,
  } = options
  const outbox = tableName('outboxSource: table', table)
  const state = outbox.sibling('_state')
  const channel = outbox.table
  checkPositive('batchSize', batchSize, true)
  checkPositive('pollIntervalMs', pollIntervalMs)
  checkPositive('gapCheckMs', gapCheckMs)
  checkPositive('gapStallMs', gapStallMs)
  checkPositive('queryTimeoutMs', queryTimeoutMs)
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`outboxSource: name must be a non-empty string, got ${JSON.stringify(name)}`)
  }
  const config: ClientConfig = typeof connection === 'string' ? { connectionString: connection } : connection
  const lockKey = `sluice:${table}:${name}`
  const publishIdPrefix = `pg:${table}:`

  const machine = createSourceState((transition) => onStateChange?.(transition))
  const stopController = new AbortController()
  let position: bigint | undefined
  let saved: bigint | undefined
  let gap: (Gap & { since: number; reported: boolean }) | undefined
  let blockedAt: bigint | undefined
  let publishFailures = 0

  const report = (error: PostgresSourceError) => {
    if (stopController.signal.aborted && error.code === 'CONNECTION_FAILED') return
    try {
      onError(error)
    } catch {
      // The error hook must not end the source.
    }
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopController.signal.aborted) return resolve()
      const done = () => {
        timers.clearTimeout(timer)
        stopController.signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = timers.setTimeout(done, ms)
      stopController.signal.addEventListener('abort', done, { once: true })
    })

  /** One snapshot: the rows after `after` and the oldest xid still running, from one statement. */
  const readBatch = async (conn: SourceConnection, after: bigint) => {
    // One statement, so the rows and xmin come from the same snapshot: a gap is judged final
    // only by the very snapshot that failed to show the missing row.
    const result = await conn.query<Record<string, unknown>>(
      `SELECT s.sluice_snapshot_xmin, o.id::text AS sluice_row_id, o.*
         FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS sluice_snapshot_xmin) s
         LEFT JOIN LATERAL (SELECT * FROM ${outbox.sql} WHERE id > $1 ORDER BY id LIMIT $2) o ON true`,
      [after.toString(), batchSize],
    )
    const xmin = BigInt(result[0]?.sluice_snapshot_xmin as string)
    const rows: ReadRow[] = []
    for (const raw of result) {
      if (raw.sluice_row_id === null) continue
      const { sluice_snapshot_xmin: _xmin, sluice_row_id: id, ...columns } = raw
      rows.push({ id: BigInt(id as string), row: { ...columns, id: id as string } })
    }
    return { rows, xmin }
  }

  const savePosition = async (conn: SourceConnection) => {
    if (position === undefined || (saved !== undefined && position <= saved)) return
    const at = position
    await conn.query(
      `UPDATE ${state} SET last_id = GREATEST(last_id, $2::bigint), updated_at = now() WHERE source = $1`,
      [name, at.toString()],
    )
    saved = at
  }

  /** Maps and publishes one row: `done` (published, or skipped and reported) moves the position past it. */
  const publishRow = async ({ id, row }: ReadRow): Promise<'done' | { retryInMs: number }> => {
    let mapped: OutboxEvent | null | undefined
    try {
      mapped = await map(row)
    } catch (cause) {
      report(
        new PostgresSourceError(
          'MAP_FAILED',
          `outbox ${table}: row ${id} could not be mapped to an event; skipped`,
          {
            cause,
            rowId: row.id,
          },
        ),
      )
      return 'done'
    }
    if (mapped === null || mapped === undefined) return 'done'
    try {
      await server.publish(mapped.topic, mapped.event, { id: `${publishIdPrefix}${row.id}` })
      publishFailures = 0
      return 'done'
    } catch (cause) {
      if (!shouldRetry(cause)) {
        report(
          new PostgresSourceError(
            'PUBLISH_REJECTED',
            `outbox ${table}: row ${id} was refused by the server (topic ${JSON.stringify(mapped.topic)}); skipped`,
            { cause, rowId: row.id, topic: mapped.topic },
          ),
        )
        return 'done'
      }
      const retryInMs = retryDelay(publishFailures++)
      report(
        new PostgresSourceError(
          'PUBLISH_FAILED',
          `outbox ${table}: publishing row ${id} to ${JSON.stringify(mapped.topic)} failed; retrying in ${retryInMs} ms`,
          { cause, rowId: row.id, topic: mapped.topic, retryInMs },
        ),
      )
      return { retryInMs }
    }
  }

  /** Reads and publishes until caught up, blocked by a gap, stopped, or a publish must wait. */
  const drain = async (conn: SourceConnection): Promise<{ waitMs: number; notifications: boolean }> => {
    for (;;) {
      const after = position as bigint
      const { rows, xmin } = await readBatch(conn, after)
      const plan = planBatch(rows, after, gap, xmin)
      let retryInMs: number | undefined
      try {
        for (const row of plan.publish) {
          // A stop means the app is shutting down: publish nothing more.
          if (stopController.signal.aborted) break
          const outcome = await publishRow(row)
          if (outcome !== 'done') {
            retryInMs = outcome.retryInMs
            break
          }
          position = row.id
        }
      } finally {
        await savePosition(conn)
      }
      if (stopController.signal.aborted) return { waitMs: 0, notifications: false }
      // A publish to retry: the plan's view of the gap is re-read after the pause.
      if (retryInMs !== undefined) return { waitMs: retryInMs, notifications: false }
      if (plan.gap === 'clear') gap = undefined
      else if (plan.gap !== 'keep') {
        // Taken after the snapshot that showed the hole: every transaction that may still
        // commit a missing id has an older xid (see Gap).
        const [taken] = await conn.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')
        gap = {
          below: plan.gap.below,
          horizon: BigInt((taken as { xid: string }).xid),
          since: timers.now(),
          reported: false,
        }
      }
      blockedAt = plan.blocked?.missing
      if (plan.blocked !== undefined) {
        const waited = gap === undefined ? 0 : timers.now() - gap.since
        if (gap !== undefined && !gap.reported && waited >= gapStallMs) {
          gap.reported = true
          report(
            new PostgresSourceError(
              'GAP_STALLED',
              `outbox ${table}: id ${plan.blocked.missing} has been missing for ${waited} ms and rows after it wait: a transaction that started before xid ${gap.horizon} is still open (the oldest running xid is ${xmin}); look for it in pg_stat_activity (backend_xid)`,
              { rowId: plan.blocked.missing.toString() },
            ),
          )
        }
        // The missing row's commit sends a NOTIFY; only a rollback needs the check timer.
        return { waitMs: gapCheckMs, notifications: true }
      }
      if (rows.length < batchSize) return { waitMs: pollIntervalMs, notifications: true }
    }
  }

  /** One connection's life: lock, listen, load the position, then read on every wake-up. */
  const session = async (conn: SourceConnection, connected: () => void) => {
    for (;;) {
      const [lock] = await conn.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
        [lockKey],
      )
      if (lock?.locked) break
      machine.transition('standby', `another process reads ${table} as ${JSON.stringify(name)}`)
      connected()
      await conn.wait(pollIntervalMs, { notifications: false, signal: stopController.signal })
      if (stopController.signal.aborted) return
    }
    // LISTEN before the first read: a commit between the read and LISTEN would wake nobody.
    await conn.query(`LISTEN ${channel}`)
    await conn.query(`INSERT INTO ${state} (source) VALUES ($1) ON CONFLICT (source) DO NOTHING`, [name])
    const [stored] = await conn.query<{ last_id: string }>(
      `SELECT last_id::text AS last_id FROM ${state} WHERE source = $1`,
      [name],
    )
    const persisted = BigInt((stored as { last_id: string }).last_id)
    // After a reconnect, this process may be ahead of what it managed to save.
    saved = persisted
    if (position === undefined || persisted > position) position = persisted
    await savePosition(conn)
    connected()
    machine.transition('live', 'reading')
    while (!stopController.signal.aborted) {
      const next = await drain(conn)
      await conn.wait(next.waitMs, { notifications: next.notifications, signal: stopController.signal })
    }
  }

  const run = async () => {
    let attempt = 0
    while (!stopController.signal.aborted) {
      let conn: SourceConnection | undefined
      try {
        conn = await openConnection(config, { queryTimeoutMs, timers, signal: stopController.signal })
        await session(conn, () => {
          attempt = 0
        })
      } catch (cause) {
        if (stopController.signal.aborted) break
        const retryInMs = retryDelay(attempt++)
        machine.transition('reconnecting', errorMessage(cause))
        report(
          new PostgresSourceError(
            'CONNECTION_FAILED',
            `outbox ${table}: ${errorMessage(cause)}; reconnecting in ${retryInMs} ms`,
            { cause, retryInMs },
          ),
        )
        await sleep(retryInMs)
        if (!stopController.signal.aborted) machine.transition('connecting', 'retrying')
      } finally {
        conn?.close()
      }
    }
    machine.transition('stopped', 'stop() was called')
  }

  let running: Promise<void> = Promise.resolve()
  const stop = async () => {
    stopController.abort()
    signal?.removeEventListener('abort', onAbort)
    await running
  }
  const onAbort = () => void stop()
  if (signal?.aborted) machine.transition('stopped', 'the signal was aborted before the start')
  else {
    signal?.addEventListener('abort', onAbort, { once: true })
    running = run()
  }

  return {
    get state() {
      return machine.current
    },
    get position() {
      return position?.toString()
    },
    get waitingFor() {
      return blockedAt?.toString()
    },
    stop,
  }
}

function checkPositive(option: string, value: number, integer = false): void {
  if (!(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `outboxSource: ${option} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`,
    )
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function defaultOnError(table: string) {
  return (error: PostgresSourceError) => {
    console.error(
      `[sluice] outboxSource(${JSON.stringify(table)}) ${error.code}: ${error.message}`,
      error.cause ?? '',
    )
  }
}
