// The guides show example apps' files whole: such a block is fenced under
// `<!-- snippet: skip examples/<path> (reason) -->` (the snippet checker cannot compile it: it
// imports the app's other files, or uses Nuxt's auto-imports) and must equal that file as it is,
// which the example's own typecheck, build and e2e test check. scripts/check-snippets.mjs
// collects the blocks and reports what this returns.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** A skip marker's reason that names the file its block shows. */
export const SHOWN_FILE = /^(examples\/\S+)/

/**
 * One problem per block that does not equal the file it names: `{ at, path, code }` with `at` the
 * markdown location of the block's first line, `path` relative to `root`, `code` its lines.
 */
export function shownFileProblems(root, blocks) {
  const problems = []
  for (const { at, path, code } of blocks) {
    const full = join(root, path)
    if (!existsSync(full)) {
      problems.push(`${at} shows ${path}, which does not exist`)
      continue
    }
    const file = readFileSync(full, 'utf8')
    const shown = `${code.join('\n')}\n`
    if (shown === file) continue
    const fileLines = file.split('\n')
    const line = code.findIndex((text, k) => text !== fileLines[k])
    const where =
      line < 0
        ? `the file goes on after the block's ${code.length} lines`
        : `first at the file's line ${line + 1}`
    problems.push(`${at} shows ${path} but differs from it (${where}); copy the file into the block`)
  }
  return problems
}
