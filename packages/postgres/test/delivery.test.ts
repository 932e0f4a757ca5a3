/**
 * The outbox source against a real PostgreSQL and a real Sluice server with WebSocket
 * subscribers: rows become events in id order, exactly once; the position is saved, resumed
 * and guarded by the reader lock.
 */
import { createClient, crud } from '@sluice/client'
import { createTestServer } from '@sluice/server-node/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { captureTable, type OutboxSource, outboxSource } from '../src/index'
import { backendCount, fixture, insertEvents, range, recording, until, waitFor } from './fixture'
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

describe('outboxSource', () => {
  it('publishes rows in id order, exactly once, with publish ids pg:<table>:<id>, and saves the position', async () => {
    const table = await f.outbox('order_outbox')
    const { server } = await f.sluice()
    const sub = await f.subscriber('numbers')
    const { target, ids } = recording(server)
    const { source, errors } = f.source(target, { table, batchSize: 7 })
    await insertEvents(pg, table, 'numbers', 1, 10)
    await insertEvents(pg, table, 'numbers', 11, 40, 10)
    expect(await sub.received(40)).toEqual(range(1, 40))
    expect(ids).toEqual(range(1, 40).map((id) => `pg:order_outbox:${id}`))
    await waitFor(
      () => source.position,
      (position) => position === '40',
      'position 40',
    )
    await source.stop()
    expect(await pg.query(`SELECT source, last_id::int FROM ${table}_state`)).toEqual([
      { source: 'default', last_id: 40 },
    ])
    expect(source.state).toBe('stopped')
    expect(errors).toEqual([])
  })

  it('resumes after a stop from the saved position: rows written meanwhile once, none again', async () => {
    const table = await f.outbox('resume_outbox')
    const { server } = await f.sluice()
    const sub = await f.subscriber('resume')
    const first = recording(server)
    const a = f.source(first.target, { table })
    await insertEvents(pg, table, 'resume', 1, 5)
    expect(await sub.received(5)).toEqual(range(1, 5))
    await a.source.stop()
    await insertEvents(pg, table, 'resume', 6, 12, 3)
    const second = recording(server)
    f.source(second.target, { table })
    expect(await sub.received(12)).toEqual(range(1, 12))
    expect(second.ids).toEqual(range(6, 12).map((id) => `pg:resume_outbox:${id}`))
  })

  it('captures a table: inserts, updates and deletes reach a crud store; excluded columns never leave', async () => {
    // Installing is safe from several processes at once (without the install lock, concurrent
    // CREATE ... IF NOT EXISTS fail on pg_class's unique index), and idempotent.
    const table = 'capture_outbox'
    await Promise.all([f.outbox(table), f.outbox(table), f.outbox(table), f.outbox(table)])
    await f.outbox(table)
    await pg.query(
      'CREATE TABLE todos (id text PRIMARY KEY, list_id text NOT NULL, title text NOT NULL, secret text)',
    )
    await captureTable(
      { query: (sql) => pg.query(sql) },
      {
        table: 'todos',
        topic: 'lists:{list_id}',
        exclude: ['secret'],
        outbox: table,
      },
    )
    const { server, url } = await f.sluice()
    f.source(server, { table })
    const client = createClient({ url, WebSocket, transports: ['ws'] })
    const l1 = client.subscribe('lists:l1', { merge: crud<{ id: string; title: string }>({ key: 'id' }) })
    const l2 = client.subscribe('lists:l2', { merge: crud<{ id: string; title: string }>({ key: 'id' }) })
    try {
      await until(l1.$state, (s) => s.status === 'live', 'l1 live')
      await until(l2.$state, (s) => s.status === 'live', 'l2 live')
      await pg.query(`INSERT INTO todos VALUES ('t1', 'l1', 'milk', 's1'), ('t2', 'l1', 'eggs', 's2')`)
      await pg.query(`UPDATE todos SET title = 'oat milk' WHERE id = 't1'`)
      await pg.query(`UPDATE todos SET list_id = 'l2' WHERE id = 't2'`)
      await pg.query(`DELETE FROM todos WHERE id = 't1'`)
      await pg.query(`INSERT INTO todos VALUES ('t3', 'l2', 'tea', 's3')`)
      await until(l2.$state, (s) => s.data.items.length === 2, 'two items on l2')
      await until(l1.$state, (s) => s.data.items.length === 0, 'l1 empty')
      expect(l2.$state.get().data.items).toEqual([
        { id: 't2', list_id: 'l2', title: 'eggs' },
        { id: 't3', list_id: 'l2', title: 'tea' },
      ])
      expect(await pg.query(`SELECT id::int, topic, kind, key FROM ${table} ORDER BY id`)).toEqual([
        { id: 1, topic: 'lists:l1', kind: 'created', key: 't1' },
        { id: 2, topic: 'lists:l1', kind: 'created', key: 't2' },
        { id: 3, topic: 'lists:l1', kind: 'updated', key: 't1' },
        { id: 4, topic: 'lists:l1', kind: 'deleted', key: 't2' },
        { id: 5, topic: 'lists:l2', kind: 'created', key: 't2' },
        { id: 6, topic: 'lists:l1', kind: 'deleted', key: 't1' },
        { id: 7, topic: 'lists:l2', kind: 'created', key: 't3' },
      ])
    } finally {
      client.close()
    }
  })

  it('lets one process read per name: a second source stands by and takes over when the first stops', async () => {
    const table = await f.outbox('standby_outbox')
    const { server } = await f.sluice()
    const sub = await f.subscriber('standby')
    const first = recording(server)
    const a = f.source(first.target, { table })
    await insertEvents(pg, table, 'standby', 1, 3)
    expect(await sub.received(3)).toEqual([1, 2, 3])
    const second = recording(server)
    const b = f.source(second.target, { table, pollIntervalMs: 50 })
    await waitFor(
      () => b.source.state,
      (state) => state === 'standby',
      'b standing by',
    )
    await insertEvents(pg, table, 'standby', 4, 6)
    expect(await sub.received(6)).toEqual(range(1, 6))
    await a.source.stop()
    await waitFor(
      () => b.source.state,
      (state) => state === 'live',
      'b live',
    )
    await insertEvents(pg, table, 'standby', 7, 9)
    expect(await sub.received(9)).toEqual(range(1, 9))
    expect(second.ids).toEqual(range(7, 9).map((id) => `pg:standby_outbox:${id}`))
    expect(b.transitions.map(({ from, to }) => `${from}>${to}`)).toEqual([
      'connecting>standby',
      'standby>live',
    ])
  })

  it('runs as a source the server owns: listed in stats, stopped by close() with its connection', async () => {
    const table = await f.outbox('owned_outbox')
    const owner = await createTestServer({ rules: [{ topic: '**', subscribe: 'anyone' }] })
    let handle: OutboxSource | undefined
    try {
      await owner.server.source('orders-outbox', (server, { signal, report }) => {
        handle = outboxSource(server, {
          connection: { connectionString: pg.url, application_name: `source-${table}` },
          table,
          signal,
          onError: report,
        })
        return handle
      })
      await waitFor(
        () => handle?.state,
        (state) => state === 'live',
        'live',
      )
      await insertEvents(pg, table, 'owned', 1, 3)
      await waitFor(
        () => handle?.position,
        (position) => position === '3',
        'position 3',
      )
      expect(owner.server.stats()).toMatchObject({ eventsPublished: 3 })
    } finally {
      await owner.close()
    }
    expect(handle?.state).toBe('stopped')
    await waitFor(
      () => backendCount(pg, `source-${table}`),
      (count) => count === 0,
      'the backend to go',
    )
  })

  it('stops when its signal aborts and leaves no connection behind', async () => {
    const table = await f.outbox('signal_outbox')
    const { server } = await f.sluice()
    const controller = new AbortController()
    const { source, transitions } = f.source(server, { table, signal: controller.signal })
    await waitFor(
      () => source.state,
      (state) => state === 'live',
      'live',
    )
    controller.abort()
    await waitFor(
      () => source.state,
      (state) => state === 'stopped',
      'stopped',
    )
    await waitFor(
      () => backendCount(pg, `source-${table}`),
      (count) => count === 0,
      'the backend to go',
    )
    expect(transitions.map(({ to }) => to)).toEqual(['live', 'stopped'])
  })
})
