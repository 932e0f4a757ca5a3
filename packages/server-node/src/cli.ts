#!/usr/bin/env node
import cluster, { type Worker } from 'node:cluster'
import { readFileSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Logger, pino } from 'pino'
import { createJwtAuthenticator } from './auth/jwt'
import {
  CLI_USAGE,
  type CliOptions,
  CliUsageError,
  configPathOf,
  parseCliOptions,
  redactPassword,
} from './cli-options'
import { ConfigError, loadConfig, type SluiceConfig, sourceEntries } from './config'
import { createMemoryEngine } from './engine/memory'
import type { Engine } from './engine/types'
import { hardenHttpServer } from './http/harden'
import { createStaticHandler } from './http/static-files'
import type { Authenticate } from './identity'
import { createLogger } from './observability/logger'
import type { SluiceServerOptions } from './options'
import { createSluiceServer } from './server'

/**
 * Request headers accepted, as PROTOCOL.md asks (SHOULD accept 64 KiB): an EventSource with many
 * topics reconnects with a long URL and Last-Event-ID, which Node's 16 KiB default refuses (431).
 */
const MAX_HEADER_BYTES = 64 * 1024
/** How long connections get to drain after SIGTERM before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000
/** How long a server waits for Redis at start before it gives up, instead of listening while `down`. */
const REDIS_READY_DEADLINE_MS = 10_000
const REDIS_PACKAGE_MISSING =
  'sluice-server: --redis-url needs the @sluice/redis package: npm install @sluice/redis\n'

/**
 * The one function of `@sluice/redis` the CLI calls. Declared here instead of imported:
 * `@sluice/redis` depends on this package, so this package must not depend on it, not even for types.
 */
interface RedisEngineModule {
  createRedisEngine(options: {
    url?: string
    cluster?: { rootNodes: string[] }
    prefix: string
    maxEvents?: number
    maxAgeMs?: number
    nodeLeaseMs?: number
    onError?: (error: unknown, context: { operation: string; topic?: string }) => void
  }): Engine & { ready(): Promise<void> }
}

async function main(): Promise<void> {
  let options: CliOptions
  let config: SluiceConfig = {}
  let authenticate: Authenticate | undefined
  try {
    const argv = process.argv.slice(2)
    const configPath = configPathOf(argv, process.env)
    if (configPath !== undefined && !argv.includes('--help') && !argv.includes('-h')) {
      config = await loadConfig(configPath)
    }
    options = parseCliOptions(argv, process.env, config)
    if (options.help) return void process.stdout.write(`${CLI_USAGE}\n`)
    if (options.version) return void process.stdout.write(`${readVersion()}\n`)
    authenticate = jwtAuthenticator(options, config)
    if (options.staticDir !== undefined && !isFolder(options.staticDir)) {
      throw new CliUsageError(`--static ${options.staticDir} is not a folder`)
    }
  } catch (error) {
    if (!(error instanceof CliUsageError) && !(error instanceof ConfigError)) throw error
    process.stderr.write(`sluice-server: ${error.message}\nRun sluice-server --help for the options.\n`)
    process.exitCode = 2
    return
  }

  // Synchronous stdout: an async pino destination can reorder or lose the last lines when the
  // process exits right after logging them, and those lines are what an operator reads.
  const logger = createLogger(undefined, options.logLevel, pino.destination({ dest: 1, sync: true }))
  if (options.workers > 1 && cluster.isPrimary) return runPrimary(options, logger)
  return runServer(options, config, authenticate, logger)
}

/** One server process: the whole CLI without `--workers`, or one worker of the cluster. */
async function runServer(
  options: CliOptions,
  config: SluiceConfig,
  authenticate: Authenticate | undefined,
  logger: Logger,
): Promise<void> {
  if (cluster.isWorker) {
    // The primary turns SIGINT into one SIGTERM per worker. A Ctrl-C in a terminal also reaches
    // every worker directly, which would count as the second signal that skips draining.
    process.on('SIGINT', () => {})
  }
  let engine: Engine | undefined
  if (options.redisUrl !== undefined) {
    engine = await startRedisEngine(options, options.redisUrl, logger)
  } else if (options.maxEvents !== undefined || options.maxAgeMs !== undefined) {
    engine = createMemoryEngine({
      ...(options.maxEvents === undefined ? {} : { maxEvents: options.maxEvents }),
      ...(options.maxAgeMs === undefined ? {} : { maxAgeMs: options.maxAgeMs }),
    })
  }
  const { sources = [], routes = {} } = config
  // The config's server options first; what flags, environment and the CLI decide goes over them.
  const serverOptions: SluiceServerOptions = {
    ...serverOptionsOf(config),
    basePath: options.basePath,
    logger,
    metrics: options.metrics,
    publishKeys: options.publishKeys,
    adminKeys: options.adminKeys,
  }
  if (authenticate) serverOptions.authenticate = authenticate
  if (engine !== undefined) serverOptions.engine = engine
  if (options.allowedOrigins !== undefined) serverOptions.allowedOrigins = options.allowedOrigins
  if (options.maxConnections !== undefined) serverOptions.maxConnections = options.maxConnections
  if (options.heartbeatMs !== undefined) serverOptions.heartbeatMs = options.heartbeatMs
  let sluice: ReturnType<typeof createSluiceServer>
  try {
    sluice = createSluiceServer(serverOptions)
  } catch (error) {
    // An option the server refuses (a malformed rule, a bad limit): a usage error, not a crash.
    process.stderr.write(`sluice-server: ${(error as Error).message}\n`)
    await engine?.close()
    process.exit(2)
  }
  // The server closes only engines it created itself; the CLI closes the one it passed in.
  // sluice.close() stops the config's sources (sluice.source) first.
  const close = async () => {
    await sluice.close({
      ...(options.shutdownRetryMs === undefined ? {} : { retryAfterMs: options.shutdownRetryMs }),
      ...(options.shutdownSpreadMs === undefined ? {} : { retrySpreadMs: options.shutdownSpreadMs }),
    })
    await engine?.close()
  }

  const serveStatic = options.staticDir === undefined ? undefined : createStaticHandler(options.staticDir)
  const ownsPath = (req: IncomingMessage) => {
    const pathname = pathOf(req)
    return (
      pathname === options.basePath ||
      pathname.startsWith(`${options.basePath}/`) ||
      pathname === '/healthz' ||
      pathname === '/metrics'
    )
  }
  const http = createServer(
    { maxHeaderSize: MAX_HEADER_BYTES },
    (req: IncomingMessage, res: ServerResponse) => {
      const route = Object.hasOwn(routes, pathOf(req)) ? routes[pathOf(req)] : undefined
      if (route !== undefined && !ownsPath(req)) {
        Promise.resolve()
          .then(() => route(req, res))
          .catch((error: unknown) => {
            logger.error({ err: error, url: pathOf(req) }, 'config route failed')
            if (!res.headersSent) res.writeHead(500)
            res.end()
          })
        return
      }
      if (serveStatic !== undefined && !ownsPath(req)) {
        serveStatic(req, res).catch((error: unknown) => {
          logger.error({ err: error, url: req.url }, 'static file failed')
          if (!res.headersSent) res.writeHead(500)
          res.end()
        })
        return
      }
      sluice.handler(req, res)
    },
  )
  // Headers within 10 s, bodies within 30 s (slowloris), and parser refusals answered with error bodies.
  hardenHttpServer(http)
  sluice.attach(http)

  try {
    await listen(http, options.port, options.host)
  } catch (error) {
    logger.error({ err: error, port: options.port, host: options.host }, 'sluice-server could not listen')
    await close()
    // Not process.exitCode and a return: a cluster worker's channel to its primary stays open.
    process.exit(1)
  }
  const { port } = http.address() as AddressInfo
  const url = `http://${displayHost(options.host)}:${port}${options.basePath}`
  const sourceList = sourceEntries(sources)
  for (const [name, start] of sourceList) {
    try {
      await sluice.source(name, start)
    } catch (error) {
      logger.error({ err: error, source: name }, `source ${name} of the config file failed to start`)
      await close()
      process.exit(1)
    }
  }
  logger.info(
    {
      url,
      port,
      host: options.host,
      basePath: options.basePath,
      static: options.staticDir ?? null,
      config: options.config ?? null,
      sources: sourceList.length,
    },
    'sluice-server listening',
  )

  let closing = false
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn({ signal }, 'second signal: exiting without waiting for connections')
      process.exit(1)
      return
    }
    closing = true
    logger.info({ signal }, 'sluice-server shutting down')
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, 'connections did not drain in time')
      process.exit(1)
    }, SHUTDOWN_DEADLINE_MS)
    deadline.unref()
    // sluice.close() says goodbye to realtime clients; the http server then stops accepting and
    // drops idle keep-alive sockets, which would otherwise hold the process open.
    close()
      .then(
        () =>
          new Promise<void>((resolve) => {
            http.close(() => resolve())
            http.closeIdleConnections()
          }),
      )
      .then(
        () => {
          logger.info('sluice-server stopped')
          process.exit(0)
        },
        (error: unknown) => {
          logger.error({ err: error }, 'sluice-server failed to stop cleanly')
          process.exit(1)
        },
      )
  }
  process.on('SIGTERM', shutdown)
  if (cluster.isPrimary) process.on('SIGINT', shutdown)
}

/**
 * Creates the Redis engine and waits until it reached Redis, so a server never starts listening
 * while it could only answer UNAVAILABLE. Exits with 1 when it cannot, saying why.
 */
async function startRedisEngine(options: CliOptions, url: string, logger: Logger): Promise<Engine> {
  const redis = await importRedisEngine()
  if (redis === undefined) {
    process.stderr.write(REDIS_PACKAGE_MISSING)
    process.exit(1)
  }
  const redisUrl = redactPassword(url)
  const engine = redis.createRedisEngine({
    ...(options.redisCluster
      ? { cluster: { rootNodes: url.split(',').map((node) => node.trim()) } }
      : { url }),
    prefix: options.redisPrefix,
    ...(options.maxEvents === undefined ? {} : { maxEvents: options.maxEvents }),
    ...(options.maxAgeMs === undefined ? {} : { maxAgeMs: options.maxAgeMs }),
    ...(options.redisNodeLeaseMs === undefined ? {} : { nodeLeaseMs: options.redisNodeLeaseMs }),
    // The engine's default prints to stderr; operators read the JSON log.
    onError: (error, context) =>
      logger.error({ err: error, ...context, redisUrl }, `sluice redis: ${context.operation} failed`),
  })
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), REDIS_READY_DEADLINE_MS)
  })
  try {
    const outcome = await Promise.race([engine.ready(), deadline])
    if (outcome !== 'timeout') return engine
    logger.error(
      { redisUrl, deadlineMs: REDIS_READY_DEADLINE_MS },
      `sluice-server could not reach Redis at ${redisUrl} within ${REDIS_READY_DEADLINE_MS / 1000} s`,
    )
  } catch (error) {
    logger.error({ err: error, redisUrl }, `sluice-server could not connect to Redis at ${redisUrl}`)
  } finally {
    clearTimeout(timer)
  }
  // Not engine.close() and a return: the Redis client may still be retrying its first connect,
  // and a cluster worker's channel to its primary stays open; either would hold the process.
  process.exit(1)
}

/**
 * Loads `@sluice/redis`, or undefined when it is not installed. The specifier is a variable so
 * neither tsc nor the bundler resolves it: server-node builds without the package.
 */
async function importRedisEngine(): Promise<RedisEngineModule | undefined> {
  const specifier = '@sluice/redis'
  try {
    return (await import(specifier)) as RedisEngineModule
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException
    // Only the package itself missing: a dependency of it missing is a broken install, shown as is.
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
    if (missing && message.includes(`'${specifier}'`)) return undefined
    throw error
  }
}

/**
 * The primary of `--workers n`: forks n servers that share the port (node:cluster hands the
 * listening socket to all of them), replaces a worker that dies, and on SIGTERM or SIGINT stops
 * them all and exits with 0, or 1 if one failed to stop cleanly. A worker that exits before it
 * ever listened stops everything with 1 instead: re-forking cannot fix an unreachable Redis or a
 * taken port, and a supervisor sees the failure instead of a silent loop.
 */
async function runPrimary(options: CliOptions, logger: Logger): Promise<void> {
  // Checked once here rather than n times in the workers.
  if ((await importRedisEngine()) === undefined) {
    process.stderr.write(REDIS_PACKAGE_MISSING)
    process.exitCode = 1
    return
  }
  const live = new Set<Worker>()
  const listened = new Set<Worker>()
  let announced = false
  let stopping = false
  let exitCode = 0

  const fork = () => live.add(cluster.fork())
  /** Without a signal when a worker failed to start. */
  const stop = (signal?: NodeJS.Signals) => {
    if (stopping) {
      // Each worker takes the second SIGTERM as the signal to exit without draining.
      logger.warn({ signal }, 'second signal: workers exit without waiting for connections')
    } else {
      stopping = true
      logger.info({ signal: signal ?? null, workers: live.size }, 'sluice-server stopping workers')
    }
    for (const worker of live) worker.process.kill('SIGTERM')
    if (live.size === 0) process.exit(exitCode)
  }

  cluster.on('listening', (worker, address) => {
    listened.add(worker)
    if (announced || listened.size < options.workers) return
    announced = true
    const url = `http://${displayHost(options.host)}:${address.port}${options.basePath}`
    logger.info(
      { workers: options.workers, url },
      `sluice-server: primary ${process.pid} running ${options.workers} workers on ${url}`,
    )
  })
  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker)
    const workerPid = worker.process.pid
    if (stopping) {
      // Killed by a signal while stopping is a stop too; an exit code other than 0 is a failed drain.
      if (code !== null && code !== 0) exitCode = 1
      if (live.size === 0) {
        logger.info({ exitCode }, 'sluice-server stopped')
        process.exit(exitCode)
      }
      return
    }
    if (!listened.delete(worker)) {
      logger.error({ workerPid, code, signal }, 'sluice-server worker exited before listening; stopping')
      exitCode = 1
      stop()
      return
    }
    logger.error({ workerPid, code, signal }, 'sluice-server worker died; starting another')
    fork()
  })
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  for (let index = 0; index < options.workers; index++) fork()
}

/** The server options a config file may set that the CLI does not decide itself. */
function serverOptionsOf(config: SluiceConfig): SluiceServerOptions {
  const {
    port: _port,
    host: _host,
    jwt: _jwt,
    history: _history,
    redis: _redis,
    workers: _workers,
    static: _static,
    metrics: _metrics,
    logLevel: _logLevel,
    sources: _sources,
    routes: _routes,
    ...server
  } = config
  return server
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?', 1)[0] as string
}

function jwtAuthenticator(options: CliOptions, config: SluiceConfig): Authenticate | undefined {
  const { jwtSecret, jwtPublicKeyFile, jwksUrl, jwtIssuer, jwtAudience, allowAnonymous } = options
  const flagKey = jwtSecret !== undefined || jwtPublicKeyFile !== undefined || jwksUrl !== undefined
  if (!flagKey && config.jwt !== undefined) {
    // The config's JWT settings, with the flags' issuer, audience and --allow-anonymous over them.
    try {
      return createJwtAuthenticator({
        ...config.jwt,
        ...(jwtIssuer === undefined ? {} : { issuer: jwtIssuer }),
        ...(jwtAudience === undefined ? {} : { audience: jwtAudience }),
        allowAnonymous,
      })
    } catch (error) {
      throw new CliUsageError(`invalid jwt settings in the config file: ${(error as Error).message}`)
    }
  }
  if (!flagKey) {
    if (allowAnonymous)
      throw new CliUsageError(
        '--allow-anonymous needs a JWT option (--jwt-secret, --jwt-public-key-file, --jwks-url)',
      )
    return undefined
  }
  let publicKey: string | undefined
  if (jwtPublicKeyFile !== undefined) {
    try {
      publicKey = readFileSync(jwtPublicKeyFile, 'utf8')
    } catch (error) {
      throw new CliUsageError(
        `cannot read --jwt-public-key-file ${jwtPublicKeyFile}: ${(error as Error).message}`,
      )
    }
  }
  try {
    return createJwtAuthenticator({
      ...(jwtSecret === undefined ? {} : { secret: jwtSecret }),
      ...(publicKey === undefined ? {} : { publicKey }),
      ...(jwksUrl === undefined ? {} : { jwksUrl }),
      ...(jwtIssuer === undefined ? {} : { issuer: jwtIssuer }),
      ...(jwtAudience === undefined ? {} : { audience: jwtAudience }),
      // Claims mapping and tolerances may still come from the config; the key is the flag's.
      ...(config.jwt?.identity === undefined ? {} : { identity: config.jwt.identity }),
      ...(config.jwt?.clockToleranceSec === undefined
        ? {}
        : { clockToleranceSec: config.jwt.clockToleranceSec }),
      allowAnonymous,
    })
  } catch (error) {
    throw new CliUsageError(`invalid JWT settings: ${(error as Error).message}`)
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost'
  return host.includes(':') ? `[${host}]` : host
}

function readVersion(): string {
  // src/cli.ts and dist/cli.js both sit one level below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

main().catch((error: unknown) => {
  process.stderr.write(
    `sluice-server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exit(1)
})
