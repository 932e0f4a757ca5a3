import { escapeIdentifier } from 'pg'

/** A plain, unquoted Postgres identifier: what `CREATE TABLE todos` accepts without quotes. */
const PLAIN_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/

/** A table named by the app, checked and quoted once. */
export interface TableName {
  /** As given: `sluice_outbox` or `app.sluice_outbox`. */
  readonly name: string
  /** Quoted for SQL: `"sluice_outbox"` or `"app"."sluice_outbox"`. */
  readonly sql: string
  /** The schema, when the name had one. */
  readonly schema: string | undefined
  /** The table's own name, without the schema. */
  readonly table: string
  /** A sibling object in the same schema (a sequence, a state table): `"app"."<table><suffix>"`. */
  sibling(suffix: string): string
}

/**
 * Checks a table name given as an option and quotes it. Only plain lowercase identifiers are
 * accepted (optionally schema-qualified): the names end up in generated SQL, trigger arguments,
 * NOTIFY channels and publish ids, and one rule for all of them is simpler than quoting each
 * correctly. A name Postgres would fold or truncate is refused rather than silently changed.
 *
 * @param what the option's name, for the error message
 */
export function tableName(what: string, value: string): TableName {
  const parts = typeof value === 'string' ? value.split('.') : []
  const valid = parts.length >= 1 && parts.length <= 2 && parts.every((part) => PLAIN_IDENTIFIER.test(part))
  if (!valid) {
    throw new TypeError(
      `${what} must be a lowercase identifier such as "sluice_outbox" or "app.sluice_outbox" (letters, digits, _; at most 63 characters per part), got ${JSON.stringify(value)}`,
    )
  }
  const schema = parts.length === 2 ? parts[0] : undefined
  const table = parts[parts.length - 1] as string
  const qualify = (object: string) =>
    schema === undefined
      ? escapeIdentifier(object)
      : `${escapeIdentifier(schema)}.${escapeIdentifier(object)}`
  return {
    name: value,
    sql: qualify(table),
    schema,
    table,
    sibling(suffix: string) {
      const object = `${table}${suffix}`
      if (!PLAIN_IDENTIFIER.test(object)) {
        throw new TypeError(
          `${what} ${JSON.stringify(value)} is too long: "${object}" would pass Postgres's 63-character limit`,
        )
      }
      return qualify(object)
    },
  }
}
