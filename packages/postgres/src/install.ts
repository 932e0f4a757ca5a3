import { type CaptureSqlOptions, captureSql, type OutboxSqlOptions, outboxSql } from './outbox-sql'

/** Anything that runs a multi-statement SQL string: a `pg` Client, a Pool, a PoolClient. */
export interface Queryable {
  query(text: string): Promise<unknown>
}

/**
 * Creates (or updates) the outbox {@link outboxSql} describes, in one transaction. Safe to run
 * at every start of every process: the statements are idempotent, and a transaction-level
 * advisory lock keeps two processes from replacing the same functions at once (Postgres would
 * fail one with "tuple concurrently updated").
 *
 * @example
 * const client = new pg.Client(process.env.DATABASE_URL)
 * await client.connect()
 * await installOutbox(client)
 * await captureTable(client, { table: 'todos', topic: 'todos' })
 * await client.end()
 * @param client a connection that is not inside a transaction (a Pool checks one out per query, which fits)
 */
export async function installOutbox(client: Queryable, options: OutboxSqlOptions = {}): Promise<void> {
  await inTransaction(client, outboxSql(options))
}

/**
 * Attaches the capture trigger ({@link captureSql}) to an app table, in one transaction, after
 * the outbox exists ({@link installOutbox}).
 *
 * @example
 * await captureTable(client, { table: 'todos', topic: 'lists:{list_id}', exclude: ['owner_email'] })
 */
export async function captureTable(client: Queryable, options: CaptureSqlOptions): Promise<void> {
  await inTransaction(client, captureSql(options))
}

async function inTransaction(client: Queryable, sql: string): Promise<void> {
  // One multi-statement query is one implicit transaction (simple query protocol): all or
  // nothing, no connection left in an aborted transaction after an error, and a Pool runs it on
  // a single connection.
  await client.query(`SELECT pg_advisory_xact_lock(hashtextextended('sluice:install', 0));
${sql}`)
}
