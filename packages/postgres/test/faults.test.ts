/**
 * Faults on the way from PostgreSQL to the server, made for real: the source's backend
 * terminated (pg_terminate_backend), PostgreSQL stopped cleanly or crashed and started again,
 * always in the middle of a batch (a gated publish holds the source there while the fault is
 * made). Every test ends with the exact list a subscriber received: nothing lost, nothing twice.
 */
import { Client } from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fixture, gated, insertEvents, range, recording, waitFor } from './fixture'
import { type PostgresServer, startPostgres } from './postgres-server'

let pg: PostgresServer
const f = fixture(() => pg)

beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(async () => {
  await pg?.stop()
})
afterEach(() => f.close())

const terminate = (applicationName: string) =>
  pg.query<{ n: number }>(
    'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  )

describe('outboxSource across faults', () => {
  it('loses and repeats nothing when its backend is terminated in the middle of a batch', async () => {
    const table = await f.outbox('kill_outbox')
    const { server } = await f.sluice()
    const sub = await f.subscriber('kill')
    const gate = gated(server, 'pg:kill_outbox:15')
    const { errors, transitions } = f.source(gate.target, { table, batchSize: 10 })
    await insertEvents(pg, table, 'kill', 1, 30, 5)
    await gate.atGate
    // Rows 11–14 are published but their batch's position is not saved yet.
    expect(await terminate(`source-${table}`)).toEqual([{ n: 1 }])
    gate.release()
    await insertEvents(pg, table, 'kill', 31, 40)
    expect(await sub.received(40)).toEqual(range(1, 40))
    expect(errors.map((error) => error.code)).toEqual(['CONNECTION_FAILED'])
    expect(errors[0]?.message).toMatch(
      /^outbox kill_outbox: terminating connection due to administrator command; reconnecting in 20 ms$/,
    )
    expect(transitions.map(({ to }) => to)).toEqual(['live', 'reconnecting', 'connecting', 'live'])
    // After the reconnect the source went on from where it was in memory (15), not from the
    // saved position (10): no row was published twice, even to the dedup window.
    expect(gate.ids.filter((id) => id === 'pg:kill_outbox:12')).toEqual(['pg:kill_outbox:12'])
    expect(await pg.query(`SELECT last_id::int FROM ${table}_state`)).toEqual([{ last_id: 40 }])
  })

  it.each(['fast', 'immediate'] as const)(
    'loses and repeats nothing when PostgreSQL restarts (%s) in the middle of a batch',
    async (mode) => {
      const table = await f.outbox(`restart_${mode}_outbox`)
      const topic = `restart-${mode}`
      const { server } = await f.sluice()
      const sub = await f.subscriber(topic)
      const gate = gated(server, `pg:${table}:25`)
      const { errors, source } = f.source(gate.target, { table, batchSize: 10 })
      await insertEvents(pg, table, topic, 1, 40, 8)
      await gate.atGate
      await pg.restart(mode)
      gate.release()
      await insertEvents(pg, table, topic, 41, 60, 4)
      expect(await sub.received(60)).toEqual(range(1, 60))
      expect(errors.length).toBeGreaterThanOrEqual(1)
      expect(new Set(errors.map((error) => error.code))).toEqual(new Set(['CONNECTION_FAILED']))
      // A crash loses the sequence's pre-logged values: the ids jump, and the gap is found final.
      const ids = (await pg.query<{ id: number }>(`SELECT id::int FROM ${table} ORDER BY id`)).map(
        (row) => row.id,
      )
      if (mode === 'immediate') expect(ids[40]).toBeGreaterThan(41)
      else expect(ids).toEqual(range(1, 60))
      expect(source.position).toBe(String(ids[59]))
      expect(source.waitingFor).toBe(undefined)
    },
  )

  it('repeats nothing after a crash of the source: rows published but not saved are re-read and the server drops them as duplicates', async () => {
    const table = await f.outbox('crash_outbox')
    const { server } = await f.sluice()
    const sub = await f.subscriber('crash')
    const gate = gated(server, 'pg:crash_outbox:5')
    const crashed = f.source(gate.target, { table })
    await insertEvents(pg, table, 'crash', 1, 8, 8)
    await gate.atGate
    // The connection goes first, so the stop cannot save the position: as if the process died.
    expect(await terminate(`source-${table}`)).toEqual([{ n: 1 }])
    const stopped = crashed.source.stop()
    gate.release()
    await stopped
    expect(await pg.query(`SELECT last_id::int FROM ${table}_state`)).toEqual([{ last_id: 0 }])
    const next = recording(server)
    f.source(next.target, { table })
    await insertEvents(pg, table, 'crash', 9, 10)
    expect(await sub.received(10)).toEqual(range(1, 10))
    // The new source published rows 1–5 again; the server appended them once.
    expect(next.ids).toEqual(range(1, 10).map((id) => `pg:crash_outbox:${id}`))
  })

  it('reconnects after retryDelay(attempt), counting from 0 again after a connection that worked', async () => {
    const table = await f.outbox('backoff_outbox')
    const { server } = await f.sluice()
    const { source, errors } = f.source(server, { table, retryDelay: (attempt) => 30 + attempt })
    await waitFor(
      () => source.state,
      (state) => state === 'live',
      'live',
    )
    await pg.halt('fast')
    await waitFor(
      () => errors.length,
      (count) => count >= 4,
      'four failed attempts',
    )
    await pg.start()
    await waitFor(
      () => source.state,
      (state) => state === 'live',
      'live again',
    )
    const before = errors.length
    expect(await terminate(`source-${table}`)).toEqual([{ n: 1 }])
    await waitFor(
      () => errors.length,
      (count) => count === before + 1,
      'the report of the terminated connection',
    )
    const delays = errors.map((error) => error.retryInMs)
    expect(delays.slice(0, 4)).toEqual([30, 31, 32, 33])
    expect(delays.slice(0, before)).toEqual(range(30, 30 + before - 1))
    expect(delays[before]).toBe(30)
    expect(new Set(errors.map((error) => error.code))).toEqual(new Set(['CONNECTION_FAILED']))
  })

  it('gives up a connection whose query outran queryTimeoutMs, and reads on over a new one', async () => {
    const table = await f.outbox('timeout_outbox')
    const { server } = await f.sluice()
    const sub = await f.subscriber('timeout')
    // Real timers, except the query deadline (its unusual length tells it apart): the test fires
    // it once the query is provably stuck, so no test waits for a real timeout.
    const deadline = 987_654
    const deadlines = new Map<number, () => void>()
    let nextHandle = 0
    const timers = {
      setTimeout: (callback: () => void, ms: number): unknown => {
        if (ms !== deadline) return setTimeout(callback, ms)
        const handle = ++nextHandle
        deadlines.set(handle, callback)
        return handle
      },
      clearTimeout: (handle: unknown) => {
        if (typeof handle === 'number') deadlines.delete(handle)
        else clearTimeout(handle as ReturnType<typeof setTimeout>)
      },
      now: () => Date.now(),
    }
    const { errors } = f.source(server, { table, queryTimeoutMs: deadline, pollIntervalMs: 20, timers })
    await insertEvents(pg, table, 'timeout', 1, 1)
    expect(await sub.received(1)).toEqual([1])
    const locker = new Client({ connectionString: pg.url })
    await locker.connect()
    try {
      await locker.query('BEGIN')
      await locker.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`)
      await waitFor(
        () =>
          pg.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
            [`source-${table}`],
          ),
        (rows) => rows[0]?.n === 1,
        "the source's read to wait for the lock",
      )
      expect(deadlines.size).toBe(1)
      for (const fire of [...deadlines.values()]) fire()
      await waitFor(
        () => errors.length,
        (count) => count === 1,
        'the report',
      )
      expect(errors[0]?.code).toBe('CONNECTION_FAILED')
      expect(errors[0]?.message).toMatch(
        /^outbox timeout_outbox: the query "SELECT s\.sluice_snapshot_xmin.*" took longer than 987654 ms: giving up on the connection; reconnecting in 20 ms$/s,
      )
    } finally {
      await locker.query('COMMIT')
      await locker.end()
    }
    await insertEvents(pg, table, 'timeout', 2, 3)
    expect(await sub.received(3)).toEqual([1, 2, 3])
  })
})
