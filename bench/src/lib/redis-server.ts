import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tasksetAvailable } from './child.ts'
import { processSchedstat } from './schedstat.ts'

/** The redis-server binary: `BENCH_REDIS_SERVER`, else the one on PATH (Debian's package). */
const REDIS_SERVER = process.env.BENCH_REDIS_SERVER ?? 'redis-server'

/**
 * The bench's own redis-server: a free loopback port, a temp folder, no persistence (nothing is
 * written to disk during a run), pinned with taskset like every other child. One per scenario;
 * `pin` moves it between CPUs as the parts of the scenario need.
 */
export interface BenchRedis {
  readonly url: string
  readonly pid: number
  /** Moves the server (every thread: `taskset -a`) to this CPU. */
  pin(cpu: number): void
  /** Nanoseconds it ran and waited for a CPU so far (from /proc/<pid>/schedstat), or null. */
  schedstat(): { runNs: number; waitNs: number } | null
  /** Stops the server and removes its folder. */
  stop(): Promise<void>
}

/** `redis-server <version>` of the binary the bench runs, or null when it cannot be run. */
export function redisServerVersion(): string | null {
  try {
    const line = execFileSync(REDIS_SERVER, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    return `redis-server ${/ v=(\S+)/.exec(line)?.[1] ?? '(version unknown)'}`
  } catch {
    return null
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export async function startBenchRedis(cpu: number): Promise<BenchRedis> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-redis-'))
  const args = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
    ...['--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
  ]
  const [command, commandArgs] = tasksetAvailable
    ? ['taskset', ['-c', String(cpu), REDIS_SERVER, ...args]]
    : [REDIS_SERVER, args]
  const child: ChildProcess = spawn(command as string, commandArgs as string[], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const collect = (chunk: Buffer) => {
    // Only the start-up lines matter (readiness, or why it failed); keep memory flat afterwards.
    if (output.length < 16_384) output += chunk.toString()
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string) => {
        clearInterval(check)
        clearTimeout(timer)
        reject(new Error(`redis-server ${why}:\n${output}`))
      }
      const check = setInterval(() => {
        if (!output.includes('Ready to accept connections')) return
        clearInterval(check)
        clearTimeout(timer)
        resolve()
      }, 5)
      const timer = setTimeout(() => fail('not ready in 10 s'), 10_000)
      child.once('error', (error) => fail(`could not start (${error.message})`))
      child.once('exit', (code) => fail(`exited with ${code} before it was ready`))
    })
  } catch (error) {
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  const pid = child.pid!
  return {
    url: `redis://127.0.0.1:${port}`,
    pid,
    pin(to) {
      if (tasksetAvailable)
        execFileSync('taskset', ['-a', '-p', '-c', String(to), String(pid)], { stdio: 'ignore' })
    },
    schedstat: () => processSchedstat(pid),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // No persistence: SIGTERM exits at once; SIGKILL only if it hangs.
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 2_000)
        await exited
        clearTimeout(timer)
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
