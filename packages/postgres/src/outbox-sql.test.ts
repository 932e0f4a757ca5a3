import { expect, it } from 'vitest'
import { captureSql, outboxSql } from './outbox-sql'

it('creates the outbox objects beside a schema-qualified table, quoted', () => {
  const sql = outboxSql({ table: 'app.events' })
  expect(sql).toContain('CREATE SEQUENCE IF NOT EXISTS "app"."events_id_seq" AS bigint CACHE 1;')
  expect(sql).toContain(
    'CREATE TABLE IF NOT EXISTS "app"."events" (\n  id bigint PRIMARY KEY DEFAULT "app"."events_next_id"(),',
  )
  expect(sql).toContain('CREATE TABLE IF NOT EXISTS "app"."events_state" (')
  expect(sql).toContain(`FOR EACH STATEMENT EXECUTE FUNCTION "app".sluice_outbox_notify('events');`)
})

it('refuses names that would need quoting, be folded or be truncated', () => {
  expect(() => outboxSql({ table: 'Events' })).toThrow(
    new TypeError(
      'outbox table must be a lowercase identifier such as "sluice_outbox" or "app.sluice_outbox" (letters, digits, _; at most 63 characters per part), got "Events"',
    ),
  )
  expect(() => outboxSql({ table: 'a.b.c' })).toThrow(/got "a\.b\.c"$/)
  expect(() => outboxSql({ table: `x${'y'.repeat(60)}` })).toThrow(
    new TypeError(
      `outbox table "x${'y'.repeat(60)}" is too long: "x${'y'.repeat(60)}_id_seq" would pass Postgres's 63-character limit`,
    ),
  )
})

it('passes the capture trigger its arguments as quoted literals (E-strings where a backslash is in them)', () => {
  expect(captureSql({ table: 'todos', topic: "it's:{list_id}", exclude: ['secret', 'odd"name'] })).toBe(
    `DROP TRIGGER IF EXISTS sluice_capture ON "todos";
CREATE TRIGGER sluice_capture AFTER INSERT OR UPDATE OR DELETE ON "todos"
  FOR EACH ROW EXECUTE FUNCTION sluice_capture('"sluice_outbox"', 'it''s:{list_id}', 'id',  E'{"secret","odd\\\\"name"}');
`,
  )
  expect(() => captureSql({ table: 'todos', topic: '' })).toThrow(
    new TypeError('captureSql("todos"): topic must be a non-empty string, got ""'),
  )
})
