// Runs every check the README's `npm test` promises, in order, and ends with one summary line
// ("Tests: N passed, N failed, N skipped") counted from the runners' JSON reports, so a reader
// of CI output (human or machine) sees the totals without scrolling through each package.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const reportDir = join(root, 'test-results', 'reports')
rmSync(reportDir, { recursive: true, force: true })
mkdirSync(reportDir, { recursive: true })

// Only a failed build stops the run (everything after it needs dist/); any other failure is
// reported at the end, so one CI run shows every problem at once.
const steps = [
  { name: 'lint', args: ['run', 'lint'] },
  { name: 'build', args: ['run', 'build'], gate: true },
  { name: 'typecheck', args: ['run', 'typecheck'] },
  // Every ts/tsx/js/vue/svelte example in the READMEs and docs/guides compiles (scripts/check-snippets.mjs).
  { name: 'README and guide snippets', args: ['run', 'check:snippets'] },
  { name: 'package tests', args: ['run', 'test:packages'], tests: true },
  { name: 'package exports (publint, attw)', args: ['run', 'lint:packages'] },
  { name: 'client size budget (size-limit)', args: ['--filter', '@sluice/client', 'run', 'size'] },
  { name: 'reliability (chaos, one node)', args: ['run', 'test:chaos'], tests: true },
  { name: 'e2e (Chromium)', args: ['run', 'test:e2e'], tests: true },
  // nuxt build (about 11 s here), then the built server and the example's Sluice server in Chromium.
  {
    name: 'Nuxt example (nuxt build, e2e in Chromium)',
    args: ['--filter', '@sluice/example-nuxt-app', 'run', 'test:e2e'],
    tests: true,
  },
  // The Next.js example: a production build (its e2e runs `next start` on it; a fresh clone has
  // no .next, so this is the full build), then its e2e in Chromium.
  { name: 'Next.js example: next build', args: ['--filter', '@sluice/example-next', 'run', 'build'] },
  {
    name: 'Next.js example: e2e (Chromium)',
    args: ['--filter', '@sluice/example-next', 'run', 'test:e2e'],
    tests: true,
  },
]

const env = { ...process.env, SLUICE_TEST_REPORT_DIR: reportDir }
const failed = []
for (const step of steps) {
  if (failed.some((f) => f.gate)) break
  console.log(`\n=== ${step.name} ===`)
  const started = Date.now()
  const result = spawnSync('pnpm', step.args, { cwd: root, stdio: 'inherit', env })
  console.log(
    `=== ${step.name}: ${result.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  )
  if (result.status !== 0) failed.push(step)
}

let passed = 0
let failedTests = 0
let skipped = 0
for (const file of existsSync(reportDir) ? readdirSync(reportDir) : []) {
  const report = JSON.parse(readFileSync(join(reportDir, file), 'utf8'))
  if (report.stats && 'expected' in report.stats) {
    passed += report.stats.expected + report.stats.flaky
    failedTests += report.stats.unexpected
    skipped += report.stats.skipped
  } else {
    passed += report.numPassedTests ?? 0
    failedTests += report.numFailedTests ?? 0
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
  }
}
console.log('')
if (failed.length > 0) console.log(`Failed steps: ${failed.map((f) => f.name).join(', ')}`)
console.log(`Tests: ${passed} passed, ${failedTests} failed, ${skipped} skipped`)
process.exit(failed.length > 0 ? 1 : 0)
