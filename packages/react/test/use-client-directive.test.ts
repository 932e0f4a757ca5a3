// @vitest-environment node
// The built entry must start with 'use client': React Server Components (Next.js App Router)
// read the directive from the file a server component imports, and esbuild drops directives
// from the sources when it bundles, so only tsup.config.ts's banner puts it there. This builds
// the package with that config into a temporary folder, so it checks the config as it is now
// (dist/ may be stale or missing when the package tests run on their own).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Options } from 'tsup'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import config from '../tsup.config'

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const outDir = mkdtempSync(join(tmpdir(), 'sluice-react-build-'))

beforeAll(async () => {
  const options = config as Options
  // Only the JavaScript matters here: no declarations, no source maps; the config file is not
  // loaded a second time (config: false) because its options are passed in.
  await build({ ...options, outDir, dts: false, sourcemap: false, silent: true, config: false })
}, 60_000)
afterAll(() => rmSync(outDir, { recursive: true, force: true }))

const firstLine = (file: string) => readFileSync(join(outDir, file), 'utf8').split('\n', 1)[0]

describe("the built entry is a client module ('use client')", () => {
  it('in the ESM build (dist/index.js)', () => {
    expect(firstLine('index.js')).toBe("'use client'")
  })

  it('in the CommonJS build (dist/index.cjs), before "use strict"', () => {
    expect(readFileSync(join(outDir, 'index.cjs'), 'utf8').split('\n', 2)).toEqual([
      "'use client'",
      '"use strict";',
    ])
  })

  it('is built from the package entry the exports map points at', () => {
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))
    expect(manifest.exports['.'].import.default).toBe('./dist/index.js')
    expect(manifest.exports['.'].require.default).toBe('./dist/index.cjs')
  })
})
