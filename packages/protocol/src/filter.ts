import { ProtocolError } from './errors'
import type { Json, JsonObject } from './frames'

/** A scalar a filter compares against. */
export type FilterScalar = string | number | boolean | null

/**
 * A condition on an event's `meta`, evaluated by the server before delivery.
 * `field` is a dot path into `meta` (`author.id`). Each leaf has exactly one operator.
 *
 * @example
 * const onlyUrgentEu: Filter = {
 *   and: [{ field: 'region', equals: 'eu' }, { field: 'priority', gte: 3 }],
 * }
 */
export type Filter =
  | { and: Filter[] }
  | { or: Filter[] }
  | { not: Filter }
  | { field: string; equals: FilterScalar }
  | { field: string; notEquals: FilterScalar }
  | { field: string; in: FilterScalar[] }
  | { field: string; notIn: FilterScalar[] }
  | { field: string; gt: number | string }
  | { field: string; gte: number | string }
  | { field: string; lt: number | string }
  | { field: string; lte: number | string }
  | { field: string; exists: boolean }
  | { field: string; contains: FilterScalar }

/** A compiled filter: cheap to call once per event. */
export type FilterPredicate = (meta: JsonObject | undefined) => boolean

/** Bounds that keep a hostile filter from costing the server more than a few microseconds. */
export const FILTER_LIMITS = { maxDepth: 8, maxNodes: 64, maxListLength: 256, maxFieldLength: 128 } as const

const LEAF_OPERATORS = [
  'equals',
  'notEquals',
  'in',
  'notIn',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
  'contains',
] as const
type LeafOperator = (typeof LEAF_OPERATORS)[number]
const FIELD_PATTERN = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/

function isScalar(value: unknown): value is FilterScalar {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || Number.isFinite(value)
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

/**
 * Checks that untrusted JSON is a well-formed {@link Filter} within {@link FILTER_LIMITS}.
 *
 * @returns null when valid, else the first problem as a ProtocolError (BAD_REQUEST, or
 *   LIMIT_EXCEEDED for a filter that is too deep or too large) naming the field.
 */
export function validateFilter(value: unknown, path = 'filter'): ProtocolError | null {
  let nodes = 0
  const walk = (node: unknown, at: string, depth: number): ProtocolError | null => {
    nodes++
    if (depth > FILTER_LIMITS.maxDepth || nodes > FILTER_LIMITS.maxNodes) {
      return new ProtocolError(
        'LIMIT_EXCEEDED',
        `filter is too large: at most ${FILTER_LIMITS.maxDepth} levels and ${FILTER_LIMITS.maxNodes} conditions`,
        { field: at },
      )
    }
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      return new ProtocolError('BAD_REQUEST', `${at} must be a filter object`, {
        field: at,
        expected: 'object',
        received: describe(node),
      })
    }
    const keys = Object.keys(node)
    const record = node as Record<string, unknown>
    if ('and' in record || 'or' in record) {
      const op = 'and' in record ? 'and' : 'or'
      const list = record[op]
      if (keys.length !== 1 || !Array.isArray(list) || list.length === 0) {
        return new ProtocolError('BAD_REQUEST', `${at}.${op} must be the only key and a non-empty array`, {
          field: `${at}.${op}`,
          expected: 'non-empty array of filters',
          received: describe(list),
        })
      }
      for (let i = 0; i < list.length; i++) {
        const problem = walk(list[i], `${at}.${op}.${i}`, depth + 1)
        if (problem) return problem
      }
      return null
    }
    if ('not' in record) {
      if (keys.length !== 1) {
        return new ProtocolError('BAD_REQUEST', `${at}.not must be the only key`, { field: `${at}.not` })
      }
      return walk(record.not, `${at}.not`, depth + 1)
    }
    const field = record.field
    if (typeof field === 'string' && field.length > FILTER_LIMITS.maxFieldLength) {
      return new ProtocolError(
        'LIMIT_EXCEEDED',
        `${at}.field is longer than ${FILTER_LIMITS.maxFieldLength} characters`,
        { field: `${at}.field` },
      )
    }
    if (typeof field !== 'string' || !FIELD_PATTERN.test(field)) {
      return new ProtocolError('BAD_REQUEST', `${at}.field must be a dot path such as "author.id"`, {
        field: `${at}.field`,
        expected: 'dot path',
        received: describe(field),
      })
    }
    const ops = keys.filter((key) => key !== 'field')
    const op = ops[0] as LeafOperator | undefined
    if (ops.length !== 1 || op === undefined || !LEAF_OPERATORS.includes(op)) {
      return new ProtocolError('BAD_REQUEST', `${at} must have exactly one of ${LEAF_OPERATORS.join(', ')}`, {
        field: at,
        expected: 'one operator',
        received: ops.join(',') || 'none',
      })
    }
    const operand = record[op]
    const bad = (expected: string) =>
      new ProtocolError('BAD_REQUEST', `${at}.${op} must be ${expected}`, {
        field: `${at}.${op}`,
        expected,
        received: describe(operand),
      })
    switch (op) {
      case 'equals':
      case 'notEquals':
      case 'contains':
        return isScalar(operand) ? null : bad('a string, number, boolean or null')
      case 'in':
      case 'notIn':
        if (!Array.isArray(operand) || !operand.every(isScalar)) return bad('an array of scalars')
        return operand.length > FILTER_LIMITS.maxListLength
          ? new ProtocolError(
              'LIMIT_EXCEEDED',
              `${at}.${op} has more than ${FILTER_LIMITS.maxListLength} values`,
              {
                field: `${at}.${op}`,
              },
            )
          : null
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        return typeof operand === 'string' || Number.isFinite(operand) ? null : bad('a number or a string')
      case 'exists':
        return typeof operand === 'boolean' ? null : bad('a boolean')
    }
  }
  return walk(value, path, 1)
}

function readPath(meta: JsonObject | undefined, path: string[]): Json | undefined {
  let current: Json | undefined = meta
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined
    if (!Object.hasOwn(current, segment)) return undefined
    current = current[segment]
  }
  return current
}

/**
 * Orders a number against a number or a string against a string. Anything else (and NaN) is
 * NaN, which every `<`, `<=`, `>`, `>=` against 0 rejects.
 */
function compare(value: Json | undefined, operand: number | string): number {
  if (typeof value !== typeof operand) return Number.NaN
  const same = value as number | string
  if (same < operand) return -1
  if (same > operand) return 1
  return same === operand ? 0 : Number.NaN
}

/**
 * Compiles a validated filter into a predicate over event metadata. Compile once per
 * subscription; call once per event. Semantics are in docs/PROTOCOL.md § Filters.
 *
 * @example
 * const match = compileFilter({ field: 'region', in: ['eu', 'uk'] })
 * match({ region: 'eu' }) // true
 * match(undefined) // false
 */
export function compileFilter(filter: Filter): FilterPredicate {
  // A validated node has one key besides `field`: the operator.
  const [op, operand] = Object.entries(filter).find(([key]) => key !== 'field') ?? []
  if (op === 'and' || op === 'or') {
    const parts = (operand as Filter[]).map(compileFilter)
    return op === 'and'
      ? (meta) => parts.every((part) => part(meta))
      : (meta) => parts.some((part) => part(meta))
  }
  if (op === 'not') {
    const inner = compileFilter(operand as Filter)
    return (meta) => !inner(meta)
  }
  const { field } = filter as { field?: unknown }
  // validateFilter rejects anything else; an unvalidated filter matches nothing rather than throwing.
  if (typeof field !== 'string') return () => false
  const path = field.split('.')
  switch (op) {
    case 'equals':
      return (meta) => readPath(meta, path) === operand
    case 'notEquals':
      return (meta) => readPath(meta, path) !== operand
    case 'in':
    case 'notIn': {
      // Holds scalars only, so a missing field (undefined) is never in it.
      const set = new Set(operand as FilterScalar[])
      const want = op === 'in'
      return (meta) => set.has(readPath(meta, path) as FilterScalar) === want
    }
    case 'exists':
      return (meta) => (readPath(meta, path) !== undefined) === operand
    case 'contains':
      return (meta) => {
        const value = readPath(meta, path)
        if (Array.isArray(value)) return value.includes(operand as FilterScalar)
        return typeof value === 'string' && typeof operand === 'string' && value.includes(operand)
      }
    case 'gt':
      return (meta) => compare(readPath(meta, path), operand as number | string) > 0
    case 'gte':
      return (meta) => compare(readPath(meta, path), operand as number | string) >= 0
    case 'lt':
      return (meta) => compare(readPath(meta, path), operand as number | string) < 0
    case 'lte':
      return (meta) => compare(readPath(meta, path), operand as number | string) <= 0
  }
  return () => false
}

/**
 * Evaluates a filter against metadata in one go. Prefer {@link compileFilter} on hot paths.
 *
 * @example matchesFilter({ field: 'tags', contains: 'urgent' }, { tags: ['urgent'] }) // true
 */
export function matchesFilter(filter: Filter, meta: JsonObject | undefined): boolean {
  return compileFilter(filter)(meta)
}
