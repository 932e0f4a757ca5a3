import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { expect, test } from 'vitest'

// An app that mounts the devtools unconditionally, bundled the way a production build does it:
// esbuild with process.env.NODE_ENV defined and minification (which folds the constant and
// drops what only the dead branch used). The overlay's strings are the markers.
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))
const app = `
import { createClient } from '@sluice/client'
import { mountDevtools } from '@sluice/devtools'
const client = createClient({ url: 'https://example.com/realtime' })
export const unmount = mountDevtools(client)
`
const MARKERS = ['data-sluice-devtools', 'Sluice devtools', 'aria-selected', 'waiting for a connection']

async function bundle(nodeEnv: 'production' | 'development'): Promise<string> {
  const result = await build({
    stdin: { contents: app, resolveDir: source('.'), loader: 'ts' },
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'browser',
    define: { 'process.env.NODE_ENV': JSON.stringify(nodeEnv) },
    alias: {
      '@sluice/devtools': source('../src/index.ts'),
      '@sluice/client': source('../../client/src/index.ts'),
      '@sluice/protocol': source('../../protocol/src/index.ts'),
    },
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

test('a development bundle carries the overlay', async () => {
  const text = await bundle('development')
  expect(MARKERS.filter((marker) => text.includes(marker))).toEqual(MARKERS)
})

test('a production bundle carries none of the overlay, nor the recorder, nor inspect()', async () => {
  const text = await bundle('production')
  expect(MARKERS.filter((marker) => text.includes(marker))).toEqual([])
  expect(text).not.toContain('no answer')
  expect(text).not.toContain('inspect: the client must be one created by createClient')
  // The client itself is there: the bundle is the app, not an empty file.
  expect(text).toContain('sluice.inspect')
})

// The built package resolved through its `exports`, as Vite and webpack resolve it: the
// `production` and `development` conditions alone decide, with no NODE_ENV defined at all.
// Needs `pnpm run build` first (scripts/check.mjs builds before testing).
async function bundlePackage(condition: 'production' | 'development'): Promise<string> {
  const result = await build({
    stdin: { contents: app, resolveDir: source('.'), loader: 'ts' },
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'browser',
    conditions: [condition],
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

test('the built package under the development condition carries the overlay', async () => {
  const text = await bundlePackage('development')
  expect(MARKERS.filter((marker) => text.includes(marker))).toEqual(MARKERS)
})

test('the built package under the production condition carries none of it', async () => {
  const text = await bundlePackage('production')
  expect(MARKERS.filter((marker) => text.includes(marker))).toEqual([])
  expect(text).toContain('sluice.inspect')
})
