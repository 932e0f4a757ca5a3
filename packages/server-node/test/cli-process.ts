import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/*
 * Runs the real `sluice-server` from source in a child process, for the CLI's tests and the
 * multi-node tests of @sluice/redis. Node strips the types itself (--experimental-transform-types
 * also covers parameter properties); these resolve hooks do what the bundler does for the build:
 * extension-less relative imports → .ts, and the workspace packages → their sources. With
 * HIDE_SLUICE_REDIS set, @sluice/redis fails to resolve as it does where it is not installed.
 */
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const SOURCES: Record<string, string> = {
  '@sluice/protocol': new URL('../../protocol/src/index.ts', import.meta.url).href,
  '@sluice/server-node': new URL('../src/index.ts', import.meta.url).href,
  '@sluice/redis': new URL('../../redis/src/index.ts', import.meta.url).href,
}
const HOOKS = `
import { statSync } from 'node:fs'
import { registerHooks } from 'node:module'
import { fileURLToPath } from 'node:url'
const sources = ${JSON.stringify(SOURCES)}
const isFile = (url) => { try { return statSync(fileURLToPath(url)).isFile() } catch { return false } }
registerHooks({
  resolve(specifier, context, next) {
    if (specifier === '@sluice/redis' && process.env.HIDE_SLUICE_REDIS) {
      const error = new Error("Cannot find package '@sluice/redis' imported from " + context.parentURL)
      error.code = 'ERR_MODULE_NOT_FOUND'
      throw error
    }
    if (Object.hasOwn(sources, specifier)) return { url: sources[specifier], shortCircuit: true }
    if (/^\\.\\.?\\//.test(specifier) && context.parentURL?.endsWith('.ts')) {
      for (const candidate of [specifier + '.ts', specifier.replace(/\\.js$/, '.ts'), specifier + '/index.ts']) {
        const url = new URL(candidate, context.parentURL)
        if (isFile(url)) return { url: url.href, shortCircuit: true }
      }
    }
    return next(specifier, context)
  },
})
`
export const CLI_NODE_ARGS = [
  '--experimental-transform-types',
  '--no-warnings=ExperimentalWarning',
  '--import',
  `data:text/javascript,${encodeURIComponent(HOOKS)}`,
  CLI,
]

export interface CliRun {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** The exit code once the process closed its output (null when killed by a signal). */
  exit: Promise<number | null>
}

/** Starts `sluice-server` with these arguments and only the environment given (plus PATH). */
export function startCli(args: string[], env: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, [...CLI_NODE_ARGS, ...args], {
    env: { PATH: process.env.PATH ?? '', SLUICE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk
  })
  // 'close', not 'exit': only then has the last of stdout been read.
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return { child, stdout: () => out, stderr: () => err, exit }
}

export type LogLine = { msg: string; port?: number; url?: string; signal?: string; [key: string]: unknown }

/** The JSON log lines the process printed so far. */
export function logLines(run: CliRun): LogLine[] {
  return run
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine)
}

/** Resolves with the "listening" log line, or rejects if the process exits first. */
export function listening(run: CliRun): Promise<LogLine> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const line = logLines(run).find((entry) => entry.msg === 'sluice-server listening')
      if (line) {
        run.child.stdout?.off('data', check)
        resolve(line)
      }
    }
    run.child.stdout?.on('data', check)
    check()
    void run.exit.then((code) => reject(new Error(`exited with ${code} before listening: ${run.stderr()}`)))
  })
}
