// Checks that a misspelled topic or procedure name is reported where the app wrote it, naming
// it, under TypeScript 6 and 7 alike. The fixture (scripts/topic-typo/typos.ts) marks each
// misspelling with a `// typo: 'name'` comment on the line before it; each compiler must report
// exactly one error per mark, on the marked line, whose message (with its elaboration) contains
// the name, and nothing else. (Before, TypeScript 7 reported an overloaded hook's typo at its
// client argument, with a message about the client.)
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const fixtureDir = join(root, 'scripts', 'topic-typo')
const compilers = [
  ['TypeScript 6', join(root, 'node_modules', 'typescript', 'bin', 'tsc')],
  ['TypeScript 7', join(root, 'tools', 'typescript7', 'node_modules', 'typescript', 'bin', 'tsc')],
]

// Line number (1-based) of each misspelling → the name it must mention.
const expected = new Map()
readFileSync(join(fixtureDir, 'typos.ts'), 'utf8')
  .split('\n')
  .forEach((line, index) => {
    const mark = /\/\/ typo: '([^']+)'/.exec(line)
    if (mark) expected.set(index + 2, mark[1])
  })

/** `typos.ts(12,5): error TS2345: message` lines, each with its indented elaboration lines. */
function parseDiagnostics(output) {
  const diagnostics = []
  for (const line of output.split('\n')) {
    const head = /^(?:.*[\\/])?typos\.ts\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line)
    if (head) diagnostics.push({ line: Number(head[1]), code: head[3], message: head[4] })
    else if (/^\s/.test(line) && diagnostics.length > 0) diagnostics.at(-1).message += `\n${line.trim()}`
    else if (line.trim() !== '') diagnostics.push({ line: 0, code: 'other', message: line })
  }
  return diagnostics
}

const problems = []
for (const [compiler, tsc] of compilers) {
  const result = spawnSync(process.execPath, [tsc, '-p', fixtureDir, '--noEmit', '--pretty', 'false'], {
    encoding: 'utf8',
  })
  const diagnostics = parseDiagnostics(result.stdout + result.stderr)
  for (const [line, name] of expected) {
    const here = diagnostics.filter((diagnostic) => diagnostic.line === line)
    if (here.length !== 1) {
      problems.push(`${compiler}: line ${line} ('${name}'): expected one error, got ${here.length}`)
    } else if (!here[0].message.includes(`"${name}"`)) {
      problems.push(`${compiler}: line ${line}: the error does not name '${name}': ${here[0].message}`)
    }
  }
  for (const diagnostic of diagnostics.filter(({ line }) => !expected.has(line))) {
    problems.push(`${compiler}: unexpected error at line ${diagnostic.line}: ${diagnostic.message}`)
  }
  console.log(`${compiler}: ${diagnostics.length} errors for ${expected.size} misspellings`)
}
if (problems.length > 0) {
  console.error(problems.join('\n'))
  process.exit(1)
}
console.log(`topic typos: each of ${expected.size} reported on its line, naming it, under TypeScript 6 and 7`)
