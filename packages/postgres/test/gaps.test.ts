/**
 * Ids become visible out of order: a sequence hands them out when rows are inserted, but
 * transactions commit in their own order. The source never publishes an id after one that may
 * still commit, and never waits for one that cannot.
 */
import { Client } from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fixture, recording, waitFor } from './fixture'
import { type PostgresServer, startPostgres } from './postgres-server'

let pg: PostgresServer
const f = fixture(() => pg)
const open: Client[] = []

beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(async () => {
  await pg?.stop()
})
afterEach(async () => {
  for (const client of open.splice(0)) await client.end()
  await f.close()
})

async function transaction() {
  const client = new Client({ connectionString: pg.url })
  await client.connect()
  open.push(client)
  await client.query('BEGIN')
  return {
    insert: async (table: string, topic: string, n: number) => {
      const { rows } = await client.query(
        `INSERT INTO ${table} (topic, kind, data) VALUES ($1, 'created', jsonb_build_object('n', $2::int)) RETURNING id::int`,
        [topic, n],
      )
      return (rows[0] as { id: number }).id
    },
    query: (sql: string) => client.query(sql),
    commit: () => client.query('COMMIT'),
    rollback: () => client.query('ROLLBACK'),
  }
}

const defaultTimersForTest = {
  setTimeout: (callback: () => void, ms: number): unknown => setTimeout(callback, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
}

describe('outboxSource and transactions committing out of id order', () => {
  it('holds a later id back until the earlier one commits, then publishes both in id order', async () => {
    const table = await f.outbox('order_gap_outbox')
    const { server } = await f.sluice()
    const sub = await f.subscriber('gap')
    const { target, ids } = recording(server)
    // Counts the source's gap checks: each is a read that still found id 1 missing.
    let gapChecks = 0
    const timers = {
      ...defaultTimersForTest,
      setTimeout: (callback: () => void, ms: number) => {
        if (ms === 7) gapChecks++
        return setTimeout(callback, ms)
      },
    }
    const { source, errors } = f.source(target, { table, gapCheckMs: 7, timers })
    const slow = await transaction()
    const fast = await transaction()
    expect(await slow.insert(table, 'gap', 1)).toBe(1)
    expect(await fast.insert(table, 'gap', 2)).toBe(2)
    await fast.commit()
    await waitFor(
      () => source.waitingFor,
      (id) => id === '1',
      'the source to wait for id 1',
    )
    const seen = gapChecks
    await waitFor(
      () => gapChecks,
      (count) => count >= seen + 5,
      'five more reads that found id 1 missing',
    )
    expect(ids).toEqual([])
    expect(source.waitingFor).toBe('1')
    await slow.commit()
    expect(await sub.received(2)).toEqual([1, 2])
    expect(ids).toEqual(['pg:order_gap_outbox:1', 'pg:order_gap_outbox:2'])
    expect(errors).toEqual([])
  })

  it('passes a rolled-back id once its transaction has ended', async () => {
    const table = await f.outbox('rollback_gap_outbox')
    const { server } = await f.sluice()
    const sub = await f.subscriber('rollback')
    const { source, errors } = f.source(server, { table })
    const doomed = await transaction()
    const kept = await transaction()
    expect(await doomed.insert(table, 'rollback', 1)).toBe(1)
    expect(await kept.insert(table, 'rollback', 2)).toBe(2)
    await kept.commit()
    await waitFor(
      () => source.waitingFor,
      (id) => id === '1',
      'the source to wait for id 1',
    )
    await doomed.rollback()
    expect(await sub.received(1)).toEqual([2])
    await waitFor(
      () => source.waitingFor,
      (id) => id === undefined,
      'the gap to be final',
    )
    expect(source.position).toBe('2')
    expect(errors).toEqual([])
  })

  it('reports a gap held open by a long transaction (GAP_STALLED, once) and goes on when it ends', async () => {
    const table = await f.outbox('stall_gap_outbox')
    const { server } = await f.sluice()
    const sub = await f.subscriber('stall')
    const { source, errors } = f.source(server, { table, gapStallMs: 150, gapCheckMs: 20 })
    // A transaction elsewhere that has written something (so it has an xid) and stays open.
    await pg.query('CREATE TABLE IF NOT EXISTS unrelated (n int)')
    const long = await transaction()
    await long.query('INSERT INTO unrelated VALUES (1)')
    const doomed = await transaction()
    expect(await doomed.insert(table, 'stall', 1)).toBe(1)
    await doomed.rollback()
    const pending = await transaction()
    expect(await pending.insert(table, 'stall', 2)).toBe(2)
    const committer = await transaction()
    expect(await committer.insert(table, 'stall', 3)).toBe(3)
    await committer.commit()
    await waitFor(
      () => errors.length,
      (count) => count === 1,
      'the stall report',
    )
    expect(errors[0]?.code).toBe('GAP_STALLED')
    expect(errors[0]?.rowId).toBe('1')
    expect(errors[0]?.message).toMatch(
      /^outbox stall_gap_outbox: id 1 has been missing for \d+ ms and rows after it wait: a transaction that started before xid \d+ is still open \(the oldest running xid is \d+\); look for it in pg_stat_activity \(backend_xid\)$/,
    )
    expect(source.waitingFor).toBe('1')
    expect(sub.values()).toEqual([])
    // Id 1 was rolled back, but only the end of every transaction older than the gap tells.
    await long.commit()
    await pending.commit()
    expect(await sub.received(2)).toEqual([2, 3])
    expect(errors.map((error) => error.code)).toEqual(['GAP_STALLED'])
  })
})
