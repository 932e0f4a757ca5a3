#!/usr/bin/env node
import { readFileSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { createJwtAuthenticator } from './auth/jwt'
import { CLI_USAGE, type CliOptions, CliUsageError, parseCliOptions } from './cli-options'
import { createMemoryEngine } from './engine/memory'
import { createStaticHandler } from './http/static-files'
import type { Authenticate } from './identity'
import { createLogger } from './observability/logger'
import type { SluiceServerOptions } from './options'
import { createSluiceServer } from './server'

/** How long connections get to drain after SIGTERM before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000

async function main(): Promise<void> {
  let options: CliOptions
  let authenticate: Authenticate | undefined
  try {
    options = parseCliOptions(process.argv.slice(2), process.env)
    if (options.help) return void process.stdout.write(`${CLI_USAGE}\n`)
    if (options.version) return void process.stdout.write(`${readVersion()}\n`)
    authenticate = jwtAuthenticator(options)
    if (options.staticDir !== undefined && !isFolder(options.staticDir)) {
      throw new CliUsageError(`--static ${options.staticDir} is not a folder`)
    }
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error
    process.stderr.write(`sluice-server: ${error.message}\nRun sluice-server --help for the options.\n`)
    process.exitCode = error.exitCode
    return
  }

  // Synchronous stdout: an async pino destination can reorder or lose the last lines when the
  // process exits right after logging them, and those lines are what an operator reads.
  const logger = createLogger(undefined, options.logLevel, pino.destination({ dest: 1, sync: true }))
  const serverOptions: SluiceServerOptions = {
    basePath: options.basePath,
    logger,
    metrics: options.metrics,
    publishKeys: options.publishKeys,
  }
  if (authenticate) serverOptions.authenticate = authenticate
  if (options.allowedOrigins !== undefined) serverOptions.allowedOrigins = options.allowedOrigins
  if (options.maxConnections !== undefined) serverOptions.maxConnections = options.maxConnections
  if (options.heartbeatMs !== undefined) serverOptions.heartbeatMs = options.heartbeatMs
  if (options.maxEvents !== undefined || options.maxAgeMs !== undefined) {
    serverOptions.engine = createMemoryEngine({
      ...(options.maxEvents === undefined ? {} : { maxEvents: options.maxEvents }),
      ...(options.maxAgeMs === undefined ? {} : { maxAgeMs: options.maxAgeMs }),
    })
  }
  const sluice = createSluiceServer(serverOptions)

  const serveStatic = options.staticDir === undefined ? undefined : createStaticHandler(options.staticDir)
  const ownsPath = (req: IncomingMessage) => {
    const pathname = (req.url ?? '/').split('?', 1)[0] as string
    return (
      pathname === options.basePath ||
      pathname.startsWith(`${options.basePath}/`) ||
      pathname === '/healthz' ||
      pathname === '/metrics'
    )
  }
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (serveStatic !== undefined && !ownsPath(req)) {
      serveStatic(req, res).catch((error: unknown) => {
        logger.error({ err: error, url: req.url }, 'static file failed')
        if (!res.headersSent) res.writeHead(500)
        res.end()
      })
      return
    }
    sluice.handler(req, res)
  })
  sluice.attach(http)

  try {
    await listen(http, options.port, options.host)
  } catch (error) {
    logger.error({ err: error, port: options.port, host: options.host }, 'sluice-server could not listen')
    process.exitCode = 1
    await sluice.close()
    return
  }
  const { port } = http.address() as AddressInfo
  const url = `http://${displayHost(options.host)}:${port}${options.basePath}`
  logger.info(
    { url, port, host: options.host, basePath: options.basePath, static: options.staticDir ?? null },
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
    sluice
      .close()
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
  process.on('SIGINT', shutdown)
}

function jwtAuthenticator(options: CliOptions): Authenticate | undefined {
  const { jwtSecret, jwtPublicKeyFile, jwksUrl, jwtIssuer, jwtAudience } = options
  if (jwtSecret === undefined && jwtPublicKeyFile === undefined && jwksUrl === undefined) return undefined
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
