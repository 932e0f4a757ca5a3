// @vitest-environment node
import { join } from 'node:path'
import { build } from 'esbuild'
import { expect, test } from 'vitest'

// An app installing sluicePlugin, bundled as a production build does it (NODE_ENV defined,
// minified): the Vue devtools inspector, the recorder and @vue/devtools-api must all be gone.
// Vue itself stays external; the markers are strings only the devtools code holds.
const app = `
import { createClient } from '@sluice/client'
import { sluicePlugin } from '@sluice/vue'
import { createApp } from 'vue'
const client = createClient({ url: 'https://example.com/realtime' })
createApp({ render: () => null }).use(sluicePlugin(client)).mount('#app')
`
const MARKERS = ['dev.sluice', 'sluice:frames', 'Filter topics', 'no answer']

async function bundle(nodeEnv: 'production' | 'development'): Promise<string> {
  const result = await build({
    stdin: { contents: app, resolveDir: import.meta.dirname, loader: 'ts' },
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'browser',
    external: ['vue'],
    define: { 'process.env.NODE_ENV': JSON.stringify(nodeEnv) },
    alias: { '@sluice/devtools/recorder': join(import.meta.dirname, '../../devtools/src/recorder.ts') },
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

test('a development bundle carries the Vue devtools inspector', async () => {
  const text = await bundle('development')
  expect(MARKERS.filter((marker) => !text.includes(marker))).toEqual([])
})

test('a production bundle carries none of it', async () => {
  const text = await bundle('production')
  expect(MARKERS.filter((marker) => text.includes(marker))).toEqual([])
  expect(text).toContain('sluice client')
})
