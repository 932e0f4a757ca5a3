// @vitest-environment node
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadNuxt } from '@nuxt/kit'
import type { Nuxt, NuxtHooks } from 'nuxt/schema'
import { afterEach, describe, expect, it } from 'vitest'
import sluiceModule, { AUTO_IMPORTS } from './module'

type Import = Parameters<NuxtHooks['imports:extend']>[0][number]

// The module inside a real Nuxt (loaded, not built): what it adds to the options and imports.

let nuxt: Nuxt | undefined
let rootDir: string | undefined

afterEach(async () => {
  await nuxt?.close()
  nuxt = undefined
  if (rootDir) rmSync(rootDir, { recursive: true, force: true })
  rootDir = undefined
})

async function load(config: Record<string, unknown>): Promise<Nuxt> {
  rootDir = mkdtempSync(join(tmpdir(), 'sluice-nuxt-'))
  nuxt = await loadNuxt({
    // Nuxt is looked up from cwd (this package has it); the app itself is an empty temp dir.
    cwd: join(import.meta.dirname, '..'),
    ready: true,
    overrides: {
      rootDir,
      buildDir: join(rootDir, '.nuxt'),
      modules: [sluiceModule],
      devtools: { enabled: false },
      telemetry: false,
      ...config,
    },
  })
  return nuxt
}

async function importsOf(loaded: Nuxt): Promise<Import[]> {
  const imports: Import[] = []
  await loaded.callHook('imports:extend', imports)
  return imports
}

describe('@sluice/nuxt module', () => {
  it('puts its options in the public runtime config, adds the plugin and auto-imports the composables', async () => {
    const loaded = await load({ sluice: { url: 'https://rt.example.com/realtime' } })
    expect(loaded.options.runtimeConfig.public.sluice).toEqual({
      url: 'https://rt.example.com/realtime',
      transports: ['ws', 'sse'],
    })
    const plugins = loaded.options.plugins.map((plugin) => (typeof plugin === 'string' ? plugin : plugin.src))
    // Resolved with its extension: plugin.ts from the sources here, plugin.js from dist/.
    expect(plugins.filter((src) => src.includes('/packages/nuxt/'))).toEqual([
      join(import.meta.dirname, 'runtime/plugin.ts'),
    ])
    const ours = (await importsOf(loaded)).filter((entry) => entry.from.endsWith('/runtime/composables'))
    expect(ours.map((entry) => entry.name)).toEqual([...AUTO_IMPORTS])
    expect(new Set(ours.map((entry) => entry.from))).toEqual(
      new Set([join(import.meta.dirname, 'runtime/composables')]),
    )
  })

  it('lets runtimeConfig.public.sluice in nuxt.config win over the module key', async () => {
    const loaded = await load({
      sluice: { url: 'https://module.example.com/realtime', transports: ['sse'] },
      runtimeConfig: { public: { sluice: { url: 'https://config.example.com/realtime' } } },
    })
    expect(loaded.options.runtimeConfig.public.sluice).toEqual({
      url: 'https://config.example.com/realtime',
      transports: ['sse'],
    })
  })

  it('adds no imports with autoImports: false', async () => {
    const loaded = await load({ sluice: { url: '/realtime', autoImports: false } })
    const ours = (await importsOf(loaded)).filter((entry) => entry.from.endsWith('/runtime/composables'))
    expect(ours).toEqual([])
  })
})
