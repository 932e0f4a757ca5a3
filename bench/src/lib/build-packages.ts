import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = new URL('../../../', import.meta.url).pathname

/** The workspace packages the bench loads at run time (their built `dist/`, as users get them). */
const PACKAGES = ['protocol', 'client', 'server-node', 'react', 'vue']

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

/**
 * Builds the packages whose `dist/` is missing or older than their sources, so a bench run
 * never measures stale code; up-to-date builds are kept to stay inside the time budget.
 * @param optional packages only some scenarios load (`redis`): built only when those run
 * @returns the packages that could not be built (their targets are then skipped)
 */
export function buildStalePackages(log: (line: string) => void, optional: readonly string[] = []): string[] {
  const failed: string[] = []
  for (const name of [...PACKAGES, ...optional]) {
    const dir = join(ROOT, 'packages', name)
    if (!existsSync(join(dir, 'src'))) {
      failed.push(name)
      continue
    }
    const built = join(dir, 'dist', 'index.js')
    if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(dir, 'src'))) continue
    log(`building @sluice/${name} (dist missing or stale)`)
    try {
      execFileSync('pnpm', ['--filter', `@sluice/${name}`, 'run', 'build'], { cwd: ROOT, stdio: 'pipe' })
    } catch (error) {
      const output = (error as { stdout?: Buffer; stderr?: Buffer; message: string }).stdout?.toString() ?? ''
      log(
        `build of @sluice/${name} failed: ${(error as Error).message.split('\n')[0]}\n${output.slice(-2000)}`,
      )
      failed.push(name)
    }
  }
  return failed
}
