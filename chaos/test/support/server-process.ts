/**
 * The real `sluice-server` CLI, run from source in a child process (the server tests' own
 * launcher, packages/server-node/test/cli-process.ts), restarted on the same port: the way an
 * operator's deploy or a crash restarts it. SIGTERM lets it say goodbye (a `reconnect` frame
 * with a retry hint to every connection, then close); SIGKILL gives the clients nothing but a
 * dead socket. Either way the memory engine's log is gone, so every topic starts a new epoch.
 */
import { type CliRun, listening, logLines, startCli } from '../../../packages/server-node/test/cli-process'
import { within } from './wait'

export type StopSignal = 'SIGKILL' | 'SIGTERM'

/** One restart, timed on performance.now(). */
export interface Restart {
  signal: StopSignal
  /** When the signal was sent. */
  killedAt: number
  /** When the old process had exited. */
  exitedAt: number
  /** When the new process logged "listening". */
  listeningAt: number
  /** The old process's exit code (null when a signal ended it). */
  exitCode: number | null
}

export interface ServerProcess {
  readonly port: number
  /** The realtime base URL, e.g. http://127.0.0.1:40123/realtime. */
  readonly url: string
  /** The process serving now. */
  current(): CliRun
  /** Stops the process with `signal`, then starts a new one on the same port. */
  restart(signal: StopSignal): Promise<Restart>
  /** Stops it for good (SIGTERM, then SIGKILL if it does not exit in time). */
  stop(): Promise<void>
}

// How long a start or a graceful stop may take on a loaded 2-core machine before the test fails
// naming it; a graceful stop drains every connection first.
const START_DEADLINE_MS = 20_000
const STOP_DEADLINE_MS = 20_000

async function start(args: string[], port: number): Promise<{ run: CliRun; port: number }> {
  const run = startCli(['--host', '127.0.0.1', '--port', String(port), ...args])
  const line = await within(listening(run), START_DEADLINE_MS, `sluice-server to listen on port ${port}`)
  return { run, port: line.port as number }
}

/**
 * Starts `sluice-server` with `args` (besides --host and --port) on a free port and resolves
 * once it logged "listening".
 */
export async function startServerProcess(args: string[]): Promise<ServerProcess> {
  let { run, port } = await start(args, 0)

  const exit = async (signal: StopSignal): Promise<number | null> => {
    run.child.kill(signal)
    const code = await within(
      run.exit,
      STOP_DEADLINE_MS,
      `sluice-server (pid ${run.child.pid}) to exit on ${signal}`,
    )
    // A graceful stop that ended in anything but its own "stopped" is a failed drain, not a restart.
    if (
      signal === 'SIGTERM' &&
      (code !== 0 || !logLines(run).some((l) => l.msg === 'sluice-server stopped'))
    ) {
      // pino levels: 40 warn, 50 error; the CLI logs why it failed to stdout.
      const warnings = logLines(run).filter((line) => (line.level as number) >= 40)
      throw new Error(
        `sluice-server did not stop cleanly on SIGTERM (exit ${code}): ${JSON.stringify(warnings)} ${run.stderr()}`,
      )
    }
    return code
  }

  return {
    port,
    url: `http://127.0.0.1:${port}/realtime`,
    current: () => run,
    async restart(signal) {
      const killedAt = performance.now()
      const exitCode = await exit(signal)
      const exitedAt = performance.now()
      ;({ run } = await start(args, port))
      return { signal, killedAt, exitedAt, listeningAt: performance.now(), exitCode }
    },
    async stop() {
      if (run.child.exitCode !== null || run.child.signalCode !== null) return
      try {
        await exit('SIGTERM')
      } catch {
        run.child.kill('SIGKILL')
        await run.exit
      }
    },
  }
}
