// The two servers the example runs on, started as a user starts them: the example's
// sluice-server (its sluice.config.mjs, through the built CLI) and `next start` on the built
// app. Each waits for its own "ready" line on stdout, not for a delay.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const appDir = fileURLToPath(new URL('..', import.meta.url))
const SLUICE_CLI = fileURLToPath(new URL('../node_modules/@sluice/server-node/dist/cli.js', import.meta.url))
const NEXT_CLI = fileURLToPath(new URL('../node_modules/next/dist/bin/next', import.meta.url))

export interface Started {
  child: ChildProcess
  output(): string
  /** Stops the process (SIGTERM) and resolves once it exited. */
  stop(): Promise<void>
}

/** A port nothing listens on now, for a process that must know its port before it starts. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('freePort: no TCP address')
  return address.port
}

function start(name: string, args: string[], env: Record<string, string>, ready: RegExp) {
  const child = spawn(process.execPath, args, {
    cwd: appDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()))
  const started: Started = {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
  return new Promise<{ started: Started; match: RegExpMatchArray }>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const match = ready.exec(output)
      if (match) resolve({ started, match })
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    void exited.then(() => reject(new Error(`${name} exited before it was ready:\n${output}`)))
  })
}

/** The example's sluice-server on a free port, allowing `origin`; resolves with its realtime URL (`…/realtime`). */
export async function startSluice(env: {
  origin: string
  adminKey: string
  publishKey: string
}): Promise<Started & { url: string }> {
  const { started, match } = await start(
    'sluice-server',
    [SLUICE_CLI, '--config', 'sluice.config.mjs', '--port', '0', '--host', '127.0.0.1'],
    {
      SLUICE_ADMIN_KEY: env.adminKey,
      SLUICE_PUBLISH_KEYS: env.publishKey,
      SLUICE_ALLOWED_ORIGINS: env.origin,
      SLUICE_LOG_LEVEL: 'info',
    },
    /"url":"(http:\/\/[^"]+)".*"msg":"sluice-server listening"/,
  )
  return { ...started, url: match[1]! }
}

/** `next start` of the built app on `port`, talking to the Sluice server at `sluiceUrl`. */
export async function startNext(env: {
  port: number
  sluiceUrl: string
  adminKey: string
}): Promise<Started> {
  if (!existsSync(`${appDir}/.next/BUILD_ID`)) {
    throw new Error(`The Next.js example is not built: run \`pnpm build\` in ${appDir} first`)
  }
  const { started } = await start(
    'next start',
    [NEXT_CLI, 'start', '--port', String(env.port), '--hostname', '127.0.0.1'],
    { SLUICE_URL: env.sluiceUrl, SLUICE_ADMIN_KEY: env.adminKey, NEXT_TELEMETRY_DISABLED: '1' },
    /Ready in/,
  )
  return started
}
