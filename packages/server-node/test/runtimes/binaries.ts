import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

/**
 * The binary of a runtime installed from the npm registry (the `bun` and `deno` packages). Their
 * own `bin` entries are placeholders that a postinstall script replaces, and pnpm runs no
 * dependency scripts here; the binary itself ships in the one platform package of their
 * optionalDependencies that was installed, so it is found there.
 */
export function runtimeBinary(name: 'bun' | 'deno'): string {
  const manifest = require.resolve(`${name}/package.json`)
  const fromPackage = createRequire(manifest)
  const { optionalDependencies = {} } = JSON.parse(readFileSync(manifest, 'utf8')) as {
    optionalDependencies?: Record<string, string>
  }
  for (const platform of Object.keys(optionalDependencies)) {
    let dir: string
    try {
      dir = dirname(fromPackage.resolve(`${platform}/package.json`))
    } catch {
      continue
    }
    for (const file of [join(dir, 'bin', name), join(dir, name)]) {
      if (existsSync(file)) return file
    }
  }
  throw new Error(
    `no ${name} binary for ${process.platform}-${process.arch} among the optionalDependencies of the ${name} package`,
  )
}
