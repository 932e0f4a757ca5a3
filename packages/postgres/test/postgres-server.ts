import { execFile } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Client } from 'pg'

const run = promisify(execFile)

/**
 * A throwaway PostgreSQL cluster for tests, from Debian's packages (`apt-get install
 * postgresql`, which `scripts/toolchain.sh --system-deps` does): its own folder and port, trust
 * auth on 127.0.0.1, fsync off (a crash of the machine is not what the tests are about; a crash
 * of the server is, and `restart('immediate')` is one). Postgres refuses to run as root, so as
 * root (CI) every binary runs as the `postgres` user the package creates, on a folder it owns.
 * SLUICE_PG_BIN names another bin folder (one with initdb, pg_ctl, postgres).
 */
export interface PostgresServer {
  readonly port: number
  /** `postgres://sluice@127.0.0.1:<port>/postgres` */
  readonly url: string
  /** Runs SQL on a short-lived connection of its own. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>
  /** Stops the server ('fast': clients are told; 'immediate': a crash, recovered on start) and starts it again on the same port. */
  restart(mode?: 'fast' | 'immediate'): Promise<void>
  /** Stops the server, keeping its folder, until {@link start}. */
  halt(mode?: 'fast' | 'immediate'): Promise<void>
  /** Starts a halted server again on the same port. */
  start(): Promise<void>
  /** Stops the server and removes its folder. */
  stop(): Promise<void>
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin()
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-'))
  const data = join(dir, 'data')
  const asRoot = process.getuid?.() === 0
  let owner: { uid: number; gid: number } | undefined
  if (asRoot) {
    owner = await postgresUser()
    chownSync(dir, owner.uid, owner.gid)
  }
  const pgCommand = async (name: string, args: string[]) => {
    const file = join(bin, name)
    try {
      if (asRoot) return await run('runuser', ['-u', 'postgres', '--', file, ...args], { cwd: dir })
      return await run(file, args, { cwd: dir })
    } catch (error) {
      const log = join(dir, 'server.log')
      const serverLog = existsSync(log) ? `\nserver log:\n${readFileSync(log, 'utf8').slice(-4000)}` : ''
      throw new Error(`${name} ${args.join(' ')} failed: ${(error as Error).message}${serverLog}`, {
        cause: error,
      })
    }
  }
  await pgCommand('initdb', [
    '-D',
    data,
    '-U',
    'sluice',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ])
  const serverOptions = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${dir}`,
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c shared_buffers=16MB',
    '-c max_connections=60',
  ].join(' ')
  const start = () =>
    pgCommand('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'server.log'),
      '-o',
      serverOptions,
      '-w',
      '-t',
      '30',
      'start',
    ])
  const stopServer = (mode: 'fast' | 'immediate') =>
    pgCommand('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '30', 'stop'])
  await start()
  const url = `postgres://sluice@127.0.0.1:${port}/postgres`
  let running = true

  return {
    port,
    url,
    async query<T>(sql: string, params?: unknown[]) {
      const client = new Client({ connectionString: url })
      await client.connect()
      try {
        return (await client.query(sql, params)).rows as T[]
      } finally {
        await client.end()
      }
    },
    async restart(mode = 'fast') {
      await stopServer(mode)
      await start()
    },
    async halt(mode = 'fast') {
      await stopServer(mode)
    },
    async start() {
      await start()
    },
    async stop() {
      if (running) {
        running = false
        await stopServer('immediate').catch(() => {})
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function postgresBin(): string {
  const fromEnv = process.env.SLUICE_PG_BIN
  if (fromEnv) return fromEnv
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (versions[0] === undefined) {
    throw new Error(
      'no PostgreSQL under /usr/lib/postgresql: run `bash scripts/toolchain.sh --system-deps true` (apt-get install postgresql) or set SLUICE_PG_BIN',
    )
  }
  return join(root, versions[0], 'bin')
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])])
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
  } catch (error) {
    throw new Error(
      "running as root, PostgreSQL needs the `postgres` user (Debian's postgresql package creates it)",
      {
        cause: error,
      },
    )
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
