import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { JwtAuthenticatorOptions } from './auth/jwt'
import type { SluiceServerOptions } from './options'
import type { SluiceServer } from './server-types'

/** What a config source may return: something to stop when the server stops, or nothing. */
// biome-ignore lint/suspicious/noConfusingVoidType: a source that returns nothing is typed void, not undefined
export type SourceHandle = void | (() => unknown) | { stop(): unknown }

/**
 * A source the server owns ({@link SluiceServer.source}; a config file's `sources`): started at
 * once (the CLI: once the server listens), stopped when the server closes (`signal` aborts, then
 * its handle's `stop()` or the returned function is called). `report(error)` records an error of
 * a running source: it shows in `/status` and goes to onError.
 *
 * @example
 * (server) => poll(server, 'prices', { intervalMs: 5_000, fetch: fetchPrices })
 */
export type ConfigSource = (
  server: SluiceServer,
  context: { signal: AbortSignal; report(error: unknown): void },
) => SourceHandle | Promise<SourceHandle>

/**
 * The `sluice-server --config` file: the CLI's settings and, in the JS form, the server's code
 * (snapshot provider, procedures, hooks, sources). Flags and environment variables win over it.
 */
export interface SluiceConfig
  extends Pick<
    SluiceServerOptions,
    | 'basePath'
    | 'authenticate'
    | 'authorize'
    | 'rules'
    | 'capabilitiesClaim'
    | 'snapshot'
    | 'snapshotTimeoutMs'
    | 'procedures'
    | 'heartbeatMs'
    | 'idleTimeoutMs'
    | 'limits'
    | 'rateLimit'
    | 'identityRateLimits'
    | 'rateLimitStore'
    | 'middleware'
    | 'maxConnections'
    | 'maxBufferedBytes'
    | 'allowedOrigins'
    | 'publishKeys'
    | 'adminKeys'
    | 'coalesceMs'
    | 'dedupWindow'
    | 'shutdownTimeoutMs'
    | 'sseRetryMs'
    | 'onConnect'
    | 'onDisconnect'
    | 'onSubscribe'
    | 'onUnsubscribe'
    | 'onError'
    | 'schedules'
    | 'derived'
    | 'effects'
  > {
  port?: number
  host?: string
  /** JWT verification, as `createJwtAuthenticator` takes it (`allowAnonymous` is `--allow-anonymous`). */
  jwt?: JwtAuthenticatorOptions
  /** Default log retention per topic (rules' `history` overrides it per namespace). */
  history?: { maxEvents?: number; maxAgeMs?: number }
  /** The Redis engine, for many nodes. */
  redis?: { url: string; cluster?: boolean; prefix?: string; nodeLeaseMs?: number }
  workers?: number
  /** A folder of files to serve next to the realtime endpoints (a built app). */
  static?: string
  metrics?: boolean
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /**
   * Sources the server owns ({@link SluiceServer.source}): started after it listens, stopped
   * before it stops, listed in `/status` by name: the keys of a record, `sources[i]` in a list.
   */
  sources?: ConfigSource[] | Record<string, ConfigSource>
  /** Extra HTTP endpoints by exact path (a webhook receiver, say), served before static files. */
  routes?: Record<string, (req: IncomingMessage, res: ServerResponse) => unknown>
}

/**
 * Types a config file.
 *
 * @example
 * // sluice.config.js
 * import { defineConfig } from '@sluice/server-node'
 * export default defineConfig({ rules: [{ topic: 'chat:*', subscribe: 'authenticated' }] })
 */
export function defineConfig(config: SluiceConfig): SluiceConfig {
  return config
}

/** The config's sources with their names: a record's keys, or `sources[i]` for a list. */
export function sourceEntries(sources: SluiceConfig['sources'] = []): Array<[string, ConfigSource]> {
  if (Array.isArray(sources)) return sources.map((start, index) => [`sources[${index}]`, start])
  return Object.entries(sources)
}

/** A config file that cannot be used: the CLI prints the message and exits with 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

const KEYS = new Set<string>([
  'port',
  'host',
  'basePath',
  'jwt',
  'authenticate',
  'authorize',
  'rules',
  'capabilitiesClaim',
  'snapshot',
  'snapshotTimeoutMs',
  'procedures',
  'heartbeatMs',
  'idleTimeoutMs',
  'limits',
  'rateLimit',
  'identityRateLimits',
  'rateLimitStore',
  'middleware',
  'maxConnections',
  'maxBufferedBytes',
  'allowedOrigins',
  'publishKeys',
  'adminKeys',
  'coalesceMs',
  'dedupWindow',
  'shutdownTimeoutMs',
  'sseRetryMs',
  'onConnect',
  'onDisconnect',
  'onSubscribe',
  'onUnsubscribe',
  'onError',
  'history',
  'redis',
  'workers',
  'static',
  'metrics',
  'logLevel',
  'sources',
  'routes',
  'schedules',
  'derived',
  'effects',
])

/** Keys whose values are code: a JSON file cannot hold them, and a JS file must give functions. */
const FUNCTIONS = [
  'authenticate',
  'authorize',
  'snapshot',
  'onConnect',
  'onDisconnect',
  'onSubscribe',
  'onUnsubscribe',
  'onError',
]

/**
 * Loads `sluice.config.js` (`.mjs`, `.cjs`) or `.json`. A JS file's default export is the
 * config, or a function (possibly async) returning it.
 * @throws ConfigError naming the file and what is wrong
 */
export async function loadConfig(path: string): Promise<SluiceConfig> {
  const file = resolve(path)
  let value: unknown
  if (extname(file) === '.json') {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (error) {
      throw new ConfigError(`cannot read --config ${path}: ${(error as Error).message}`)
    }
    try {
      value = JSON.parse(text)
    } catch (error) {
      throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}`)
    }
  } else if (['.js', '.mjs', '.cjs'].includes(extname(file))) {
    let loaded: { default?: unknown }
    try {
      loaded = (await import(pathToFileURL(file).href)) as { default?: unknown }
    } catch (error) {
      const { code } = error as NodeJS.ErrnoException
      if (code === 'ERR_MODULE_NOT_FOUND' && (error as Error).message.includes(file)) {
        throw new ConfigError(`--config ${path} does not exist`)
      }
      throw new ConfigError(`${path} failed to load: ${(error as Error).message}`, { cause: error })
    }
    value = loaded.default
    if (typeof value === 'function') value = await (value as () => unknown)()
  } else {
    throw new ConfigError(`--config must be a .js, .mjs, .cjs or .json file, got ${path}`)
  }
  return checkConfig(value, path)
}

/** Checks a config's shape; values the server checks itself (rules, limits…) are checked when it starts. */
export function checkConfig(value: unknown, path: string): SluiceConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${path} must export an object (export default { … })`)
  }
  const config = value as Record<string, unknown>
  for (const key of Object.keys(config)) {
    if (!KEYS.has(key)) throw new ConfigError(`${path}: unknown setting ${JSON.stringify(key)}`)
  }
  for (const key of FUNCTIONS) {
    if (config[key] !== undefined && typeof config[key] !== 'function') {
      throw new ConfigError(`${path}: ${key} must be a function`)
    }
  }
  const { sources, routes, redis } = config as SluiceConfig
  const sourceList = typeof sources === 'object' && sources !== null ? Object.values(sources) : undefined
  if (sources !== undefined && !sourceList?.every((s) => typeof s === 'function')) {
    throw new ConfigError(
      `${path}: sources must be a list, or a record by name, of functions (server, { signal }) => handle`,
    )
  }
  if (routes !== undefined) {
    for (const [route, handler] of Object.entries(routes)) {
      if (!route.startsWith('/') || typeof handler !== 'function') {
        throw new ConfigError(
          `${path}: routes must map paths starting with / to (req, res) handlers; ${JSON.stringify(route)} does not`,
        )
      }
    }
  }
  if (redis !== undefined && (typeof redis !== 'object' || typeof redis?.url !== 'string')) {
    throw new ConfigError(`${path}: redis must be { url, cluster?, prefix?, nodeLeaseMs? }`)
  }
  return config as SluiceConfig
}
