import { escapeIdentifier, escapeLiteral } from 'pg'
import { type TableName, tableName } from './identifiers'

/** The outbox every option defaults to. */
export const DEFAULT_OUTBOX_TABLE = 'sluice_outbox'

/** Options of {@link outboxSql}. */
export interface OutboxSqlOptions {
  /**
   * The outbox table, optionally schema-qualified (`app.sluice_outbox`). Its sequence
   * (`<table>_id_seq`), id function (`<table>_next_id`) and state table (`<table>_state`) are
   * created beside it, in the same schema.
   * @default 'sluice_outbox'
   */
  table?: string
}

/** Options of {@link captureSql}. */
export interface CaptureSqlOptions {
  /** The app table whose inserts, updates and deletes become events, optionally schema-qualified. */
  table: string
  /**
   * The topic of its events. `{column}` is replaced by that column's value, so
   * `'lists:{list_id}'` gives each list its own topic; an update that moves a row to another
   * topic (or changes its key) becomes `deleted` on the old one and `created` on the new one.
   */
  topic: string
  /**
   * The column whose value is the event's key (crud merges key their items by it).
   * @default 'id'
   */
  key?: string
  /** Columns left out of `data` (password hashes, internal flags): clients see what is published. */
  exclude?: string[]
  /** The outbox the trigger writes to, as given to {@link outboxSql}. @default 'sluice_outbox' */
  outbox?: string
}

/**
 * The SQL that creates an outbox: the table the source reads, its id sequence and id function,
 * the trigger that sends NOTIFY (on a channel named like the table, without its schema), the state table holding each source's position, and the
 * `sluice_capture()` trigger function that {@link captureSql} attaches to app tables. Every
 * statement is idempotent (`IF NOT EXISTS`, `CREATE OR REPLACE`), so it fits a migration as it
 * is; {@link installOutbox} runs it in a transaction. Needs PostgreSQL 13 or later
 * (`pg_current_xact_id`).
 *
 * Write events by inserting rows, in the same transaction as the change they describe:
 * `INSERT INTO sluice_outbox (topic, kind, key, data) VALUES ('todos', 'created', 't1', '{"id":"t1"}')`.
 * Never set `id` yourself: the default is what makes the reader's ordering safe (see the README).
 *
 * @example
 * // In a migration tool: write the SQL into a migration file once.
 * console.log(outboxSql({ table: 'app.sluice_outbox' }))
 */
export function outboxSql(options: OutboxSqlOptions = {}): string {
  const outbox = tableName('outbox table', options.table ?? DEFAULT_OUTBOX_TABLE)
  // The channel is the table's own name: the source derives it the same way, so nothing to keep in sync.
  const channel = outbox.table
  const sequence = outbox.sibling('_id_seq')
  const nextId = outbox.sibling('_next_id')
  const state = outbox.sibling('_state')
  const notify = functionIn(outbox, 'sluice_outbox_notify')
  const capture = functionIn(outbox, 'sluice_capture')
  const topicOf = functionIn(outbox, 'sluice_topic')
  return `-- The ids must be taken one at a time in commit-relevant order: CACHE 1 (a cache hands each
-- session its own range, and ids would no longer grow with time across sessions).
CREATE SEQUENCE IF NOT EXISTS ${sequence} AS bigint CACHE 1;

-- The transaction gets its xid before it takes an id. The reader relies on it: a missing id
-- belongs to a transaction whose xid is older than one the reader takes after seeing the gap, so
-- once every such transaction has ended, the gap is final (rolled back), never a late commit.
CREATE OR REPLACE FUNCTION ${nextId}() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
  PERFORM pg_current_xact_id();
  RETURN nextval(${escapeLiteral(sequence)}::regclass);
END
$fn$;

CREATE TABLE IF NOT EXISTS ${outbox.sql} (
  id bigint PRIMARY KEY DEFAULT ${nextId}(),
  topic text NOT NULL,
  kind text NOT NULL,
  key text,
  data jsonb,
  meta jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE ${sequence} OWNED BY ${outbox.sql}.id;

-- Where each source (by name) has published up to; rows after it are read on every wake-up.
CREATE TABLE IF NOT EXISTS ${state} (
  source text PRIMARY KEY,
  last_id bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One wake-up per transaction: NOTIFY folds identical notifications of a transaction into one
-- and delivers it at commit, never for a rollback. It carries nothing; the rows are the truth.
CREATE OR REPLACE FUNCTION ${notify}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_notify(TG_ARGV[0], '');
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS sluice_outbox_notify ON ${outbox.sql};
CREATE TRIGGER sluice_outbox_notify AFTER INSERT ON ${outbox.sql}
  FOR EACH STATEMENT EXECUTE FUNCTION ${notify}(${escapeLiteral(channel)});

-- A topic template ('lists:{list_id}') filled from a row.
CREATE OR REPLACE FUNCTION ${topicOf}(template text, doc jsonb) RETURNS text
  LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
  topic text := template;
  field text;
BEGIN
  FOR field IN SELECT m[1] FROM regexp_matches(template, '\\{([a-z_][a-z0-9_]*)\\}', 'g') AS m LOOP
    topic := replace(topic, '{' || field || '}', coalesce(doc ->> field, ''));
  END LOOP;
  RETURN topic;
END
$fn$;

-- The row trigger captureSql() attaches: arguments (outbox, topic template, key column,
-- excluded columns). A row that changes topic or key is deleted where it was and created where
-- it is, so a subscriber of the old topic does not keep a stale copy.
CREATE OR REPLACE FUNCTION ${capture}() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  outbox regclass := TG_ARGV[0]::regclass;
  excluded text[] := coalesce(TG_ARGV[3], '{}')::text[];
  old_doc jsonb;
  new_doc jsonb;
  old_topic text;
  new_topic text;
  insert_event text;
BEGIN
  insert_event := format('INSERT INTO %s (topic, kind, key, data) VALUES ($1, $2, $3, $4)', outbox);
  IF TG_OP <> 'INSERT' THEN
    old_doc := to_jsonb(OLD) - excluded;
    old_topic := ${topicOf}(TG_ARGV[1], to_jsonb(OLD));
  END IF;
  IF TG_OP <> 'DELETE' THEN
    new_doc := to_jsonb(NEW) - excluded;
    new_topic := ${topicOf}(TG_ARGV[1], to_jsonb(NEW));
  END IF;
  IF TG_OP = 'INSERT' THEN
    EXECUTE insert_event USING new_topic, 'created', to_jsonb(NEW) ->> TG_ARGV[2], new_doc;
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE insert_event USING old_topic, 'deleted', to_jsonb(OLD) ->> TG_ARGV[2], NULL::jsonb;
  ELSIF old_topic IS DISTINCT FROM new_topic
      OR to_jsonb(OLD) ->> TG_ARGV[2] IS DISTINCT FROM to_jsonb(NEW) ->> TG_ARGV[2] THEN
    EXECUTE insert_event USING old_topic, 'deleted', to_jsonb(OLD) ->> TG_ARGV[2], NULL::jsonb;
    EXECUTE insert_event USING new_topic, 'created', to_jsonb(NEW) ->> TG_ARGV[2], new_doc;
  ELSE
    EXECUTE insert_event USING new_topic, 'updated', to_jsonb(NEW) ->> TG_ARGV[2], new_doc;
  END IF;
  RETURN NULL;
END
$fn$;
`
}

/**
 * The SQL that attaches the outbox's capture trigger to an app table: every insert, update and
 * delete of a row writes an event to the outbox in the same transaction (`created` / `updated` /
 * `deleted`, `key` from the key column, `data` the row as JSON without `exclude`d columns).
 * Idempotent: it replaces the table's previous capture trigger. TRUNCATE is not captured (row
 * triggers do not see it). Run {@link outboxSql} first.
 *
 * @example
 * await client.query(captureSql({ table: 'todos', topic: 'lists:{list_id}', exclude: ['secret'] }))
 */
export function captureSql(options: CaptureSqlOptions): string {
  const table = tableName('capture table', options.table)
  const outbox = tableName('capture outbox', options.outbox ?? DEFAULT_OUTBOX_TABLE)
  if (typeof options.topic !== 'string' || options.topic.length === 0) {
    throw new TypeError(
      `captureSql(${JSON.stringify(options.table)}): topic must be a non-empty string, got ${JSON.stringify(options.topic)}`,
    )
  }
  const key = options.key ?? 'id'
  const exclude = options.exclude ?? []
  // The excluded columns travel as a text[] literal: each name quoted, so no name can break it.
  const excludeArray = `{${exclude.map((column) => `"${column.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`
  return `DROP TRIGGER IF EXISTS sluice_capture ON ${table.sql};
CREATE TRIGGER sluice_capture AFTER INSERT OR UPDATE OR DELETE ON ${table.sql}
  FOR EACH ROW EXECUTE FUNCTION ${functionIn(outbox, 'sluice_capture')}(${[outbox.sql, options.topic, key, excludeArray].map(escapeLiteral).join(', ')});
`
}

/** The outbox's helper functions live in its schema, so two schemas' outboxes stay apart. */
function functionIn(outbox: TableName, name: string): string {
  return outbox.schema === undefined ? name : `${escapeIdentifier(outbox.schema)}.${name}`
}
