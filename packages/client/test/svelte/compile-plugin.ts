/**
 * Compiles `.svelte` files for the Svelte store-contract tests with svelte/compiler itself, so
 * the test exercises Svelte's own output with no build tooling of ours in between:
 * `./X.svelte` is the DOM component (for `mount`), `./X.svelte?server` the server one (for
 * `svelte/server`'s `render`). The script's TypeScript annotations are stripped by the compiler.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { compile } from 'svelte/compiler'
import type { Plugin } from 'vitest/config'

export function svelteCompile(): Plugin {
  return {
    name: 'sluice:svelte-compile',
    transform(source, id) {
      const [file, query = ''] = id.split('?')
      if (!file?.endsWith('.svelte')) return null
      const generate = new URLSearchParams(query).has('server') ? 'server' : 'client'
      const { js } = compile(source, { filename: file, generate })
      return { code: js.code, map: js.map }
    },
  }
}

/**
 * Svelte's browser entries (`mount`, the DOM runtime a compiled component imports) sit behind the
 * `browser` export condition, which Node's resolution never picks. Svelte's testing guide sets
 * `resolve.conditions: ['browser']`, but that would also give `ws` its browser stub (the
 * real-server tests need the real one), so only Svelte's own entries are pointed there: one
 * exact alias per entry of its exports map that has a `browser` condition.
 */
export function svelteBrowserAliases(): Array<{ find: RegExp; replacement: string }> {
  const manifest = createRequire(import.meta.url).resolve('svelte/package.json')
  const exports = JSON.parse(readFileSync(manifest, 'utf8')).exports as Record<string, unknown>
  const aliases: Array<{ find: RegExp; replacement: string }> = []
  for (const [subpath, target] of Object.entries(exports)) {
    if (typeof target !== 'object' || target === null || !('browser' in target)) continue
    const specifier = `svelte${subpath.slice(1)}`
    aliases.push({
      find: new RegExp(`^${specifier.replaceAll('/', '\\/').replaceAll('.', '\\.')}$`),
      replacement: join(dirname(manifest), String(target.browser)),
    })
  }
  return aliases
}
