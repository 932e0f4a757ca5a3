/**
 * Writes a scenario's figures into docs/RELIABILITY.md, between the scenario's markers
 * (`<!-- figures:<id> -->` … `<!-- /figures:<id> -->`), leaving the rest of the document (the
 * prose, the other scenarios' sections) as it is. Only long runs call it.
 */
import { readFileSync, writeFileSync } from 'node:fs'

const DOC = new URL('../../../docs/RELIABILITY.md', import.meta.url)

export function writeFigures(id: string, markdown: string): void {
  const text = readFileSync(DOC, 'utf8')
  const open = `<!-- figures:${id} -->`
  const close = `<!-- /figures:${id} -->`
  const start = text.indexOf(open)
  const end = text.indexOf(close)
  if (start < 0 || end < start) {
    throw new Error(`docs/RELIABILITY.md has no ${open} … ${close} block for the figures of "${id}"`)
  }
  writeFileSync(DOC, `${text.slice(0, start + open.length)}\n\n${markdown.trim()}\n\n${text.slice(end)}`)
}
