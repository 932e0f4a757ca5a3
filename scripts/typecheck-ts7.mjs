// Type-checks every package under TypeScript 7 (the native compiler), after `pnpm -r run
// typecheck` did under TypeScript 6: the type tests (*.test-d.ts, checked by tsc, never run) must
// hold under both, since apps use both. TypeScript 7 lives in tools/typescript7 because 6 and 7
// both ship a `tsc` binary and a root alias of 7 shadowed 6's (see its package.json).
// Only packages whose `typecheck` script is plain `tsc -p tsconfig.json` are run here: examples
// with framework steps (next typegen, nuxt prepare, vue-tsc) keep their own.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const tsc7 = join(root, 'tools', 'typescript7', 'node_modules', 'typescript', 'bin', 'tsc')

if (!existsSync(tsc7)) {
  console.error(`TypeScript 7 is not installed at ${tsc7}: run pnpm install`)
  process.exit(1)
}
const version = spawnSync(process.execPath, [tsc7, '--version'], { encoding: 'utf8' }).stdout.trim()

const packagesDir = join(root, 'packages')
const failed = []
for (const name of readdirSync(packagesDir).sort()) {
  const manifest = join(packagesDir, name, 'package.json')
  if (!existsSync(manifest)) continue
  const { scripts = {} } = JSON.parse(readFileSync(manifest, 'utf8'))
  if (scripts.typecheck !== 'tsc -p tsconfig.json') continue
  const started = Date.now()
  const result = spawnSync(process.execPath, [tsc7, '-p', 'tsconfig.json', '--noEmit'], {
    cwd: join(packagesDir, name),
    stdio: 'inherit',
  })
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  console.log(`packages/${name}: ${version} ${result.status === 0 ? 'ok' : 'FAILED'} in ${seconds} s`)
  if (result.status !== 0) failed.push(name)
}
if (failed.length > 0) {
  console.error(`${version} found type errors in: ${failed.map((name) => `packages/${name}`).join(', ')}`)
  process.exit(1)
}
