import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import {
  CloseCode,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_LIMITS,
  ERROR_CODES,
  FILTER_LIMITS,
  PROTOCOL_VERSION,
} from '../src'

// docs/PROTOCOL.md is normative; these tests keep its tables and numbers equal to the code.
const spec = readFileSync(new URL('../../../docs/PROTOCOL.md', import.meta.url), 'utf8')
const errorsDoc = readFileSync(new URL('../../../docs/ERRORS.md', import.meta.url), 'utf8')

const cells = (line: string) =>
  line
    .trim()
    .slice(1, -1)
    .split('|')
    .map((cell) => cell.trim())

/**
 * The rows of the markdown table with these header cells. The formatter pads most tables; the
 * error table is kept unpadded (a biome-ignore comment) because its header line is matched verbatim.
 */
function table(header: string[]): string[][] {
  const lines = spec.split('\n')
  const start = lines.findIndex((line) => line.startsWith('|') && cells(line).join('|') === header.join('|'))
  if (start === -1) throw new Error(`table not found: ${header.join(' | ')}`)
  const rows: string[][] = []
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break
    rows.push(cells(line))
  }
  return rows
}

const unquote = (cell: string) => cell.replace(/^`|`$/g, '')
const numberOrNull = (cell: string) => (cell === '—' ? null : Number(cell))

describe('docs/PROTOCOL.md', () => {
  test('the error table lists every code of ERROR_CODES, in order, with its HTTP status, close code and wire flag', () => {
    expect(spec).toContain('\n| Code | HTTP status | WebSocket close | Sent on the wire | Meaning |\n')
    const rows = table(['Code', 'HTTP status', 'WebSocket close', 'Sent on the wire', 'Meaning'])
    const documented = rows.map(([code, http, close, wire]) => ({
      code: unquote(code ?? ''),
      http: numberOrNull(http ?? ''),
      close: numberOrNull(close ?? ''),
      wire: wire === 'yes',
    }))
    const expected = Object.entries(ERROR_CODES).map(([code, entry]) => ({ code, ...entry }))
    expect(documented).toEqual(expected)
    for (const row of rows) {
      expect(row[3]).toMatch(/^(yes|no \(client-local\))$/)
      expect(row[4]?.length).toBeGreaterThan(10)
    }
  })

  test('the close code table lists exactly the codes of CloseCode', () => {
    const rows = table(['Code', 'Reason string', 'Sent when', 'Client reaction'])
    const documented = rows.map(([code]) => Number(unquote(code ?? ''))).sort((a, b) => a - b)
    expect(documented).toEqual(Object.values(CloseCode).sort((a, b) => a - b))
  })

  test('every wire error code that closes a connection has its close code in the close code table', () => {
    const rows = table(['Code', 'Reason string', 'Sent when', 'Client reaction'])
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      if (entry.close === null) continue
      const row = rows.find(([cell]) => unquote(cell ?? '') === String(entry.close))
      expect(row?.[1], `${code} → ${entry.close}`).toContain(code)
    }
  })

  test('announced defaults match the code', () => {
    expect(spec).toContain(`This document is version \`${PROTOCOL_VERSION}\``)
    expect(spec).toContain(`maxFrameBytes: number // default ${DEFAULT_LIMITS.maxFrameBytes}`)
    expect(spec).toContain(`maxSubscriptions: number // default ${DEFAULT_LIMITS.maxSubscriptions}`)
    expect(spec).toContain(`maxTopicLength: number // default ${DEFAULT_LIMITS.maxTopicLength}`)
    expect(spec).toContain(`maxBatch: number // default ${DEFAULT_LIMITS.maxBatch}`)
    expect(spec).toContain(
      `(default ${DEFAULT_HEARTBEAT_MS.toLocaleString('en-US').replace(',', ' ')}, announced in \`welcome\`)`,
    )
    expect(spec).toContain(
      `depth at most ${FILTER_LIMITS.maxDepth} (the root is depth 1), at most ${FILTER_LIMITS.maxNodes} nodes`,
    )
    expect(spec).toContain(`at most ${FILTER_LIMITS.maxListLength} values in an \`in\`/\`notIn\` list`)
    expect(spec).toContain(`\`field\` at most ${FILTER_LIMITS.maxFieldLength}\n  characters`)
  })
})

describe('docs/ERRORS.md', () => {
  test('has one section per code, in ERROR_CODES order, wire codes before client-local ones', () => {
    const [wire = '', local = ''] = errorsDoc.split('## Raised by clients only')
    const sections = (text: string) => [...text.matchAll(/^### `([A-Z_]+)`$/gm)].map((match) => match[1])
    const codes = Object.keys(ERROR_CODES) as Array<keyof typeof ERROR_CODES>
    expect(sections(wire)).toEqual(codes.filter((code) => ERROR_CODES[code].wire))
    expect(sections(local)).toEqual(codes.filter((code) => !ERROR_CODES[code].wire))
  })
})
