/**
 * The built package loads with `require` and `import` on the oldest Node it supports (the
 * `engines` of package.json) and on the Node running the tests. 22.12 is the floor: the CJS build
 * requires `nanostores`, which is ESM-only, and `require()` of ES modules works without a flag
 * only from Node 22.12 on (earlier 22.x and Node 20 before 20.19 fail with ERR_REQUIRE_ESM; Node
 * 20 is out of support altogether).
 *
 * The minimum Node comes from the npm registry like the toolchain's own Node (the package
 * `node-<platform>-<arch>` ships the binary), installed once into the toolchain cache. The test
 * runs against dist/: build first (`pnpm --filter @sluice/client build`; `npm test` does).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, test } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))
const { engines } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  engines: { node: string }
}
const MINIMUM = '22.12.0'
const binaryPackage = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`
const cache =
  process.env.SLUICE_TOOLCHAIN_DIR ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sluice-toolchain')
const prefix = join(cache, `node-${MINIMUM}`)
const minimumNode = join(
  prefix,
  'node_modules',
  binaryPackage,
  'bin',
  process.platform === 'win32' ? 'node.exe' : 'node',
)

// What an app does first: load the package, create a client (lazy: nothing connects) and a store.
const program = (load: string) => `
${load}
const client = pkg.createClient({ url: 'http://127.0.0.1:9/realtime' })
const sub = client.subscribe('todos', { merge: pkg.crud() })
console.log(JSON.stringify([typeof pkg.createClient, sub.$state.get().status, client.$connection.get().status]))
client.close()`

const run = (node: string, args: string[]) =>
  execFileSync(node, args, { cwd: root, encoding: 'utf8', timeout: 30_000 }).trim()

beforeAll(() => {
  if (!existsSync(join(root, 'dist/index.cjs')) || !existsSync(join(root, 'dist/index.js'))) {
    throw new Error('packages/client/dist is missing: run `pnpm --filter @sluice/client build` first')
  }
  if (existsSync(minimumNode)) return
  execFileSync(
    'npm',
    ['install', '--silent', '--no-audit', '--no-fund', '--prefix', prefix, `${binaryPackage}@${MINIMUM}`],
    {
      stdio: 'inherit',
      timeout: 240_000,
    },
  )
}, 300_000)

test('package.json engines names the minimum this test runs', () => {
  expect(engines.node).toBe(`>=${MINIMUM.replace(/\.0$/, '')}`)
})

describe.each([
  ['the minimum', () => minimumNode],
  ['the current', () => process.execPath],
])('on %s Node', (_, node) => {
  test('require() loads the CJS build', () => {
    expect(run(node(), ['-e', program("const pkg = require('@sluice/client')")])).toBe(
      '["function","connecting","connecting"]',
    )
  })

  test('import loads the ESM build', () => {
    const esm = program("const pkg = await import('@sluice/client')")
    expect(run(node(), ['--input-type=module', '-e', esm])).toBe('["function","connecting","connecting"]')
  })
})

test('the minimum Node is the version it stands for', () => {
  expect(run(minimumNode, ['-p', 'process.versions.node'])).toBe(MINIMUM)
})
