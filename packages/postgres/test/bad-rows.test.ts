/**
 * Rows that cannot become events, and publishes that fail: a bad row is reported and skipped so
 * that it does not hold back every later one; a publish that may succeed later is retried, and
 * the rows after it wait, so order holds.
 */
import { ServerError } from '@sluice/server-node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { defaultMap, type PublishTarget } from '../src/index'
import { fixture, insertEvents } from './fixture'
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

describe('outboxSource and bad rows', () => {
  it('reports rows that cannot be mapped or are refused, skips them, and publishes the rest in order', async () => {
    const table = await f.outbox('bad_outbox')
    const { server } = await f.sluice()
    const sub = await f.subscriber('bad')
    const { source, errors } = f.source(server, {
      table,
      map: (row) => {
        if ((row.data as { n: number }).n === 3) throw new Error('row 3 is poison')
        if ((row.data as { n: number }).n === 5) return null
        return defaultMap(row)
      },
    })
    await insertEvents(pg, table, 'bad', 1, 4)
    await pg.query(`INSERT INTO ${table} (topic, kind, data) VALUES ('bad', 'created', '{"n": 5}')`)
    await pg.query(`INSERT INTO ${table} (topic, kind, data) VALUES ('not a topic', 'created', '{"n": 6}')`)
    await pg.query(`INSERT INTO ${table} (topic, kind, data) VALUES ('bad', 'Not-A-Kind', '{"n": 7}')`)
    await insertEvents(pg, table, 'bad', 8, 9)
    expect(await sub.received(5)).toEqual([1, 2, 4, 8, 9])
    expect(
      errors.map((error) => ({
        code: error.code,
        message: error.message,
        rowId: error.rowId,
        topic: error.topic,
      })),
    ).toEqual([
      {
        code: 'MAP_FAILED',
        message: 'outbox bad_outbox: row 3 could not be mapped to an event; skipped',
        rowId: '3',
        topic: undefined,
      },
      {
        code: 'PUBLISH_REJECTED',
        message: 'outbox bad_outbox: row 6 was refused by the server (topic "not a topic"); skipped',
        rowId: '6',
        topic: 'not a topic',
      },
      {
        code: 'PUBLISH_REJECTED',
        message: 'outbox bad_outbox: row 7 was refused by the server (topic "bad"); skipped',
        rowId: '7',
        topic: 'bad',
      },
    ])
    expect(errors[0]?.cause).toEqual(new Error('row 3 is poison'))
    expect(errors[1]?.cause).toMatchObject({ name: 'ServerError', code: 'BAD_REQUEST' })
    expect(errors[2]?.cause).toMatchObject({ name: 'ServerError', code: 'BAD_REQUEST' })
    expect(source.position).toBe('9')
  })

  it('retries a publish that failed for a passing reason; later rows wait for it', async () => {
    const table = await f.outbox('retry_outbox')
    const { server } = await f.sluice()
    const sub = await f.subscriber('retry')
    let failures = 2
    const attempts: string[] = []
    const flaky: PublishTarget = {
      async publish(topic, event, options) {
        attempts.push(options.id)
        if (options.id === 'pg:retry_outbox:2' && failures > 0) {
          failures--
          throw new ServerError('UNAVAILABLE', 'the engine cannot reach Redis; publishing failed')
        }
        return server.publish(topic, event, options)
      },
    }
    const delays: number[] = []
    const { errors } = f.source(flaky, {
      table,
      retryDelay: (attempt) => {
        delays.push(attempt)
        return 10
      },
    })
    await insertEvents(pg, table, 'retry', 1, 4, 4)
    expect(await sub.received(4)).toEqual([1, 2, 3, 4])
    expect(attempts).toEqual([1, 2, 2, 2, 3, 4].map((id) => `pg:retry_outbox:${id}`))
    expect(errors.map((error) => [error.code, error.rowId, error.retryInMs])).toEqual([
      ['PUBLISH_FAILED', '2', 10],
      ['PUBLISH_FAILED', '2', 10],
    ])
    expect(errors[0]?.message).toBe(
      'outbox retry_outbox: publishing row 2 to "retry" failed; retrying in 10 ms',
    )
    expect(delays).toEqual([0, 1])
  })
})
