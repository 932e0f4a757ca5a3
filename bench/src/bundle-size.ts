/**
 * Scenario 6: what each client costs a browser app, min+gzip. Every entry is bundled by
 * esbuild with the same settings (minify, platform browser, format esm, NODE_ENV production,
 * framework packages external) and gzipped with node:zlib level 9.
 *
 * Run alone with `node src/bundle-size.ts`; `src/run.ts` calls {@link measureBundles}.
 */
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

export interface BundleEntry {
  id: string
  label: string
  /** The import set, as a user writes it. */
  source: string
  sluice: boolean
}

export const BUNDLE_ENTRIES: BundleEntry[] = [
  // The core every app pays: merge strategies are separate imports, so each app adds only its own.
  {
    id: 'sluice-client',
    label: '@sluice/client core `{ createClient }`',
    source: `export { createClient } from '@sluice/client'`,
    sluice: true,
  },
  {
    id: 'sluice-client-crud',
    label: '@sluice/client `{ createClient, crud }`',
    source: `export { createClient, crud } from '@sluice/client'`,
    sluice: true,
  },
  // The bindings take the client as an argument, so on their own they hold no client code:
  // an app pays the client core plus the binding (the "+ react" row).
  {
    id: 'sluice-react',
    label: '@sluice/react (all exports; react external)',
    source: `export * from '@sluice/react'`,
    sluice: true,
  },
  {
    id: 'sluice-vue',
    label: '@sluice/vue (all exports; vue external)',
    source: `export * from '@sluice/vue'`,
    sluice: true,
  },
  {
    id: 'sluice-client-react',
    label: '`{ createClient, crud }` + `{ useRealtime }` from @sluice/react (react external)',
    source: `export { createClient, crud } from '@sluice/client'\nexport { useRealtime } from '@sluice/react'`,
    sluice: true,
  },
  {
    id: 'socket.io-client',
    label: 'socket.io-client 4.8.4 `{ io }`',
    source: `export { io } from 'socket.io-client'`,
    sluice: false,
  },
  {
    id: 'centrifuge',
    label: 'centrifuge 5.8.0 `{ Centrifuge }`',
    source: `export { Centrifuge } from 'centrifuge'`,
    sluice: false,
  },
  {
    id: 'partysocket',
    label: 'partysocket 1.3.0 (default export)',
    source: `export { default } from 'partysocket'`,
    sluice: false,
  },
  {
    id: 'ably',
    label: 'ably 2.28.0 `{ Realtime }`',
    source: `export { Realtime } from 'ably'`,
    sluice: false,
  },
  {
    id: 'pusher-js',
    label: 'pusher-js 8.6.0 (default export)',
    source: `export { default } from 'pusher-js'`,
    sluice: false,
  },
]

export interface BundleSize {
  id: string
  label: string
  minifiedBytes: number
  gzipBytes: number
  /** The largest inputs by minified bytes in the output (the client core only). */
  topInputs?: { path: string; bytes: number }[]
  error?: string
}

const BENCH_DIR = new URL('..', import.meta.url).pathname
const TSCONFIG = new URL('../tsconfig.bundle.json', import.meta.url).pathname

export async function measureBundle(entry: BundleEntry): Promise<BundleSize> {
  try {
    const result = await build({
      stdin: { contents: entry.source, resolveDir: BENCH_DIR, loader: 'js' },
      bundle: true,
      minify: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2020',
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"' },
      // The workspace tsconfig maps @sluice/* to sources; measure the built packages users install.
      tsconfig: TSCONFIG,
      metafile: true,
      external: ['react', 'react-dom', 'vue'],
    })
    const code = result.outputFiles[0]!.contents
    const size: BundleSize = {
      id: entry.id,
      label: entry.label,
      minifiedBytes: code.length,
      gzipBytes: gzipSync(code, { level: 9 }).length,
    }
    if (entry.id === 'sluice-client') {
      const output = Object.values(result.metafile.outputs)[0]
      size.topInputs = Object.entries(output?.inputs ?? {})
        .map(([path, input]) => ({ path, bytes: input.bytesInOutput }))
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, 8)
    }
    return size
  } catch (error) {
    return {
      id: entry.id,
      label: entry.label,
      minifiedBytes: Number.NaN,
      gzipBytes: Number.NaN,
      error: String(error),
    }
  }
}

export async function measureBundles(): Promise<BundleSize[]> {
  const sizes: BundleSize[] = []
  for (const entry of BUNDLE_ENTRIES) sizes.push(await measureBundle(entry))
  return sizes
}

if (import.meta.main) {
  for (const size of await measureBundles()) {
    const detail = size.error
      ? `error: ${size.error.split('\n')[0]}`
      : `${size.minifiedBytes} B min, ${size.gzipBytes} B gzip`
    console.log(`${size.label}: ${detail}`)
  }
}
