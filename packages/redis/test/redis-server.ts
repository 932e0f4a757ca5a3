import { type ChildProcess, spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient, type RedisClientType } from 'redis'

/**
 * A real `redis-server` (Debian's package) for tests: its own port and folder, no persistence
 * unless asked, started and stopped by the test. Faults are real: `kill()` is SIGKILL, `restart()`
 * starts a new process (a new run_id) on the same port with whatever the folder holds.
 */
export interface RedisServer {
  readonly port: number
  readonly url: string
  /** The folder holding dump.rdb (and appendonly files when asked). */
  readonly dir: string
  /** Runs a command on a short-lived connection of its own. */
  command(...args: string[]): Promise<unknown>
  /** SIGKILL: nothing is saved. */
  kill(): Promise<void>
  /** Starts the server again on the same port (after kill or stop). */
  start(): Promise<void>
  /** kill() then start(): without persistence, every key is gone. */
  restart(): Promise<void>
  /** SAVE now and keep a copy of the RDB file; restoreSnapshot() brings that copy back. */
  saveSnapshot(): Promise<void>
  /** Stops the server, puts the saved RDB back, starts it: the data as it was at saveSnapshot(). */
  restoreSnapshot(): Promise<void>
  /** Stops the server and removes its folder. */
  stop(): Promise<void>
}

export interface RedisServerOptions {
  /** Extra redis-server arguments, e.g. ['--appendonly', 'yes', '--appendfsync', 'always']. */
  args?: string[]
  /** A port chosen by the caller (a cluster node needs its bus port, port + 10000, free too). */
  port?: number
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

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort())
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-'))
  const url = `redis://127.0.0.1:${port}`
  let child: ChildProcess | undefined

  const launch = async () => {
    const process = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
        ...(options.args ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child = process
    let output = ''
    process.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    process.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`))
      process.once('exit', onExit)
      const check = setInterval(() => {
        if (output.includes('Ready to accept connections')) {
          clearInterval(check)
          process.off('exit', onExit)
          resolve()
        }
      }, 5)
    })
  }

  const halt = async () => {
    const process = child
    child = undefined
    if (!process || process.exitCode !== null) return
    await new Promise<void>((resolve) => {
      process.once('exit', () => resolve())
      process.kill('SIGKILL')
    })
  }

  const command = async (...args: string[]) => {
    const client: RedisClientType = createClient({ url, socket: { reconnectStrategy: false } })
    client.on('error', () => {})
    await client.connect()
    try {
      return await client.sendCommand(args)
    } finally {
      client.destroy()
    }
  }

  await launch()
  const snapshot = join(dir, 'saved.rdb')
  return {
    port,
    url,
    dir,
    command,
    kill: halt,
    start: launch,
    async restart() {
      await halt()
      await launch()
    },
    async saveSnapshot() {
      await command('SAVE')
      copyFileSync(join(dir, 'dump.rdb'), snapshot)
    },
    async restoreSnapshot() {
      await halt()
      copyFileSync(snapshot, join(dir, 'dump.rdb'))
      await launch()
    },
    async stop() {
      await halt()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeClusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort()
    if (port > 55_000) continue
    const bus = await new Promise<boolean>((resolve) => {
      const probe = createServer()
      probe.once('error', () => resolve(false))
      probe.listen(port + 10_000, '127.0.0.1', () => probe.close(() => resolve(true)))
    })
    if (bus) return port
  }
}

/** A Redis Cluster of `masters` redis-server processes (no replicas), ready to serve every slot. */
export interface RedisCluster {
  readonly nodes: RedisServer[]
  /** The nodes' URLs, for `rootNodes`. */
  readonly urls: string[]
  stop(): Promise<void>
}

export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const nodes: RedisServer[] = []
  for (let i = 0; i < masters; i++) {
    const port = await freeClusterPort()
    nodes.push(
      await startRedisServer({
        port,
        args: [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-node-timeout',
          '2000',
        ],
      }),
    )
  }
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()))
  }
  try {
    await new Promise<void>((resolve, reject) => {
      const create = spawn(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...nodes.map((n) => `127.0.0.1:${n.port}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
      let output = ''
      create.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString()
      })
      create.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString()
      })
      create.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`redis-cli --cluster create: ${code}\n${output}`)),
      )
    })
    // Every node must agree the cluster is whole before the tests route by slot.
    for (const node of nodes) {
      for (let tries = 0; ; tries++) {
        const info = String(await node.command('CLUSTER', 'INFO'))
        if (info.includes('cluster_state:ok')) break
        if (tries > 200) throw new Error(`cluster never became ok on ${node.port}:\n${info}`)
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    }
  } catch (error) {
    await stop()
    throw error
  }
  return { nodes, urls: nodes.map((n) => n.url), stop }
}
