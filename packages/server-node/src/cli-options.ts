import { parseArgs } from 'node:util'
import type { LevelWithSilent } from 'pino'
import type { SluiceConfig } from './config'

/** The settings of the `sluice-server` command, after flags and environment are merged. */
export interface CliOptions {
  help: boolean
  version: boolean
  port: number
  host: string
  basePath: string
  jwtSecret: string | undefined
  jwtPublicKeyFile: string | undefined
  jwksUrl: string | undefined
  jwtIssuer: string | undefined
  jwtAudience: string | undefined
  /** With a JWT option, connections without a token are anonymous instead of refused. */
  allowAnonymous: boolean
  /** The config file (`--config`), if any; its settings are the fallbacks of every other option. */
  config: string | undefined
  publishKeys: string[]
  /** Keys of the operations API (`<base>/admin/*`, `<base>/status`). */
  adminKeys: string[]
  /** Undefined leaves the server's default. */
  allowedOrigins: string[] | '*' | undefined
  maxConnections: number | undefined
  heartbeatMs: number | undefined
  /** On SIGTERM, the least a client is told to wait before reconnecting (`close({ retryAfterMs })`). */
  shutdownRetryMs: number | undefined
  /** On SIGTERM, the window the clients' reconnect hints are spread over (`close({ retrySpreadMs })`). */
  shutdownSpreadMs: number | undefined
  maxEvents: number | undefined
  maxAgeMs: number | undefined
  staticDir: string | undefined
  logLevel: LevelWithSilent | undefined
  metrics: boolean
  /** Undefined keeps the memory engine (one process); a URL selects `@sluice/redis`. */
  redisUrl: string | undefined
  /** `redisUrl` lists nodes of a Redis Cluster (comma-separated) to discover it from. */
  redisCluster: boolean
  /** Key and channel prefix in Redis: servers with the same prefix form one deployment. */
  redisPrefix: string
  /** How long a node may stay silent before the others remove its presence members (Redis engine). */
  redisNodeLeaseMs: number | undefined
  /** Processes serving the port on this host (`node:cluster`); more than 1 needs `redisUrl`. */
  workers: number
}

/** A wrong flag or environment value: the CLI prints the message and exits with code 2. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError'
  readonly exitCode = 2
}

const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Every flag with its environment variable, as `--help` and the README list them. */
export const CLI_FLAGS = [
  ['--port <n>', 'PORT', 'port to listen on (0 picks a free one)', '8080'],
  ['--host <addr>', 'HOST', 'interface to listen on', '0.0.0.0'],
  ['--base-path <path>', 'SLUICE_BASE_PATH', 'path prefix of the realtime endpoints', '/realtime'],
  ['--jwt-secret <secret>', 'SLUICE_JWT_SECRET', 'verify HS256 JWTs with this secret', ''],
  [
    '--jwt-public-key-file <file>',
    'SLUICE_JWT_PUBLIC_KEY_FILE',
    'verify RS256/ES256 JWTs with this PEM public key',
    '',
  ],
  ['--jwks-url <url>', 'SLUICE_JWKS_URL', 'verify JWTs with keys from this JWKS URL', ''],
  ['--jwt-issuer <iss>', 'SLUICE_JWT_ISSUER', 'required `iss` claim', ''],
  ['--jwt-audience <aud>', 'SLUICE_JWT_AUDIENCE', 'required `aud` claim', ''],
  [
    '--allow-anonymous',
    'SLUICE_ALLOW_ANONYMOUS',
    'with a JWT option, connections without a token are anonymous instead of refused (env: 1 or true)',
    'off',
  ],
  [
    '--config <file>',
    'SLUICE_CONFIG',
    'a sluice.config.js (or .json) with rules, JWT, limits, procedures, hooks, sources; flags win',
    '',
  ],
  [
    '--publish-key <key>',
    'SLUICE_PUBLISH_KEYS',
    'key for POST <base>/publish; repeatable (env: comma list)',
    '',
  ],
  [
    '--admin-key <key>',
    'SLUICE_ADMIN_KEYS',
    'key for the operations API (<base>/admin/*, <base>/status); repeatable (env: comma list)',
    '',
  ],
  [
    '--allowed-origin <origin>',
    'SLUICE_ALLOWED_ORIGINS',
    'browser origin allowed to connect; repeatable, * for any (env: comma list)',
    '*',
  ],
  [
    '--max-connections <n>',
    'SLUICE_MAX_CONNECTIONS',
    'refuse connections past this count (503)',
    'unlimited',
  ],
  ['--heartbeat-ms <ms>', 'SLUICE_HEARTBEAT_MS', 'heartbeat interval', '25000'],
  [
    '--shutdown-retry-ms <ms>',
    'SLUICE_SHUTDOWN_RETRY_MS',
    'on SIGTERM, the least a client waits before reconnecting',
    '1000',
  ],
  [
    '--shutdown-spread-ms <ms>',
    'SLUICE_SHUTDOWN_SPREAD_MS',
    'on SIGTERM, the window reconnects are spread over',
    'max(retry, 1 ms per connection)',
  ],
  ['--max-events <n>', 'SLUICE_MAX_EVENTS', 'events kept per topic for resume', '1000'],
  ['--max-age-ms <ms>', 'SLUICE_MAX_AGE_MS', 'age after which events are dropped from the log', '600000'],
  [
    '--redis-url <url>',
    'SLUICE_REDIS_URL',
    'share logs, presence and dedup through Redis (redis://, rediss:// or unix://); needs @sluice/redis',
    '',
  ],
  [
    '--redis-cluster',
    'SLUICE_REDIS_CLUSTER',
    '--redis-url names nodes of a Redis Cluster, comma-separated (env: 1 or true)',
    'off',
  ],
  [
    '--redis-prefix <prefix>',
    'SLUICE_REDIS_PREFIX',
    'Redis key prefix: servers with the same one form one deployment',
    'sluice',
  ],
  [
    '--redis-node-lease-ms <ms>',
    'SLUICE_REDIS_NODE_LEASE_MS',
    'a node silent this long is dead: the others remove its presence members',
    '15000',
  ],
  [
    '--workers <n>',
    'SLUICE_WORKERS',
    'processes sharing the port on this host; more than 1 needs --redis-url',
    '1',
  ],
  ['--static <dir>', 'SLUICE_STATIC_DIR', 'also serve the files of this folder (e.g. a built app)', ''],
  ['--metrics', 'SLUICE_METRICS', 'serve Prometheus metrics at /metrics (env: 1 or true)', 'off'],
  ['--log-level <level>', 'SLUICE_LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`, 'info'],
  ['-h, --help', '', 'print this help', ''],
  ['-v, --version', '', 'print the version', ''],
] as const

/** The `--help` text. */
export const CLI_USAGE = [
  'Usage: sluice-server [options]',
  '',
  'Runs a Sluice realtime server (WebSocket + SSE). Flags win over environment variables, and both over --config.',
  '',
  'Options:',
  ...CLI_FLAGS.map(([flag, env, description, fallback]) => {
    const details = [env && `env ${env}`, fallback && `default ${fallback}`].filter(Boolean).join('; ')
    return `  ${flag.padEnd(30)} ${description}${details ? ` (${details})` : ''}`
  }),
].join('\n')

/**
 * The config file named by `--config` or SLUICE_CONFIG, read before the other options because
 * its settings are their fallbacks.
 */
export function configPathOf(argv: string[], env: NodeJS.ProcessEnv): string | undefined {
  const given = parseValues(argv).config
  if (typeof given === 'string') return given
  return env.SLUICE_CONFIG === '' ? undefined : env.SLUICE_CONFIG
}

/**
 * Reads `sluice-server`'s flags and environment variables (flags win) into {@link CliOptions},
 * with the config file's settings as fallbacks. Throws a {@link CliUsageError} that names the
 * flag (or the config setting) and the bad value.
 *
 * @example
 * parseCliOptions(['--port', '9000', '--publish-key', 'k1'], process.env)
 */
export function parseCliOptions(
  argv: string[],
  env: NodeJS.ProcessEnv,
  config: SluiceConfig = {},
): CliOptions {
  const values = parseValues(argv)
  /** A flag's value, else its environment variable's, else undefined. */
  const read = (flag: keyof typeof values & string, name: string): string | undefined => {
    const value = values[flag]
    if (typeof value === 'string') return value
    const fromEnv = env[name]
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv
  }
  /** Like read, falling back on the config's setting; `label` names where a bad value came from. */
  const setting = (
    flag: keyof typeof values & string,
    name: string,
    fromConfig: unknown,
    key: string,
  ): { raw: string | undefined; label: string } => {
    const raw = read(flag, name)
    if (raw !== undefined || fromConfig === undefined) return { raw, label: `--${flag}` }
    return { raw: String(fromConfig), label: `${key} in the config file` }
  }
  const number = (
    flag: keyof typeof values & string,
    name: string,
    fromConfig: unknown,
    key: string,
    min: number,
    max?: number,
  ) => {
    const { raw, label } = setting(flag, name, fromConfig, key)
    return integer(label, raw, min, max)
  }
  const list = (
    flag: 'publish-key' | 'allowed-origin' | 'admin-key',
    name: string,
    fromConfig: unknown,
    key: string,
  ): string[] | undefined => {
    const given = values[flag]
    if (given !== undefined && given.length > 0) return given
    const fromEnv = env[name]
    if (fromEnv !== undefined && fromEnv.trim() !== '') {
      return fromEnv
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    }
    if (fromConfig === undefined) return undefined
    if (!Array.isArray(fromConfig) || fromConfig.some((item) => typeof item !== 'string')) {
      throw new CliUsageError(`${key} in the config file must be a list of strings`)
    }
    return fromConfig as string[]
  }
  const text = (flag: keyof typeof values & string, name: string, fromConfig: unknown, key: string) => {
    const { raw, label } = setting(flag, name, fromConfig, key)
    if (raw !== undefined && typeof fromConfig !== 'string' && label !== `--${flag}`) {
      throw new CliUsageError(`${label} must be a string`)
    }
    return raw
  }
  const toggle = (flag: keyof typeof values & string, name: string, fromConfig: unknown, key: string) => {
    if (values[flag] === true) return true
    if (env[name] !== undefined && env[name] !== '') return envFlag(name, env[name])
    if (fromConfig !== undefined && typeof fromConfig !== 'boolean') {
      throw new CliUsageError(`${key} in the config file must be true or false`)
    }
    return fromConfig === true
  }
  const { jwt, history, redis } = config
  const configOrigins = config.allowedOrigins

  const options: CliOptions = {
    help: values.help === true,
    version: values.version === true,
    port: number('port', 'PORT', config.port, 'port', 0, 65_535) ?? 8080,
    host: text('host', 'HOST', config.host, 'host') ?? '0.0.0.0',
    basePath: basePath(text('base-path', 'SLUICE_BASE_PATH', config.basePath, 'basePath') ?? '/realtime'),
    jwtSecret: read('jwt-secret', 'SLUICE_JWT_SECRET'),
    jwtPublicKeyFile: read('jwt-public-key-file', 'SLUICE_JWT_PUBLIC_KEY_FILE'),
    jwksUrl: read('jwks-url', 'SLUICE_JWKS_URL'),
    jwtIssuer: read('jwt-issuer', 'SLUICE_JWT_ISSUER'),
    jwtAudience: read('jwt-audience', 'SLUICE_JWT_AUDIENCE'),
    allowAnonymous: toggle(
      'allow-anonymous',
      'SLUICE_ALLOW_ANONYMOUS',
      jwt?.allowAnonymous,
      'jwt.allowAnonymous',
    ),
    config: configPathOf(argv, env),
    publishKeys: list('publish-key', 'SLUICE_PUBLISH_KEYS', config.publishKeys, 'publishKeys') ?? [],
    adminKeys: list('admin-key', 'SLUICE_ADMIN_KEYS', config.adminKeys, 'adminKeys') ?? [],
    allowedOrigins: origins(
      list(
        'allowed-origin',
        'SLUICE_ALLOWED_ORIGINS',
        configOrigins === '*' ? ['*'] : typeof configOrigins === 'function' ? undefined : configOrigins,
        'allowedOrigins',
      ),
    ),
    maxConnections: number(
      'max-connections',
      'SLUICE_MAX_CONNECTIONS',
      config.maxConnections,
      'maxConnections',
      1,
    ),
    heartbeatMs: number('heartbeat-ms', 'SLUICE_HEARTBEAT_MS', config.heartbeatMs, 'heartbeatMs', 1),
    shutdownRetryMs: integer('--shutdown-retry-ms', read('shutdown-retry-ms', 'SLUICE_SHUTDOWN_RETRY_MS'), 0),
    shutdownSpreadMs: integer(
      '--shutdown-spread-ms',
      read('shutdown-spread-ms', 'SLUICE_SHUTDOWN_SPREAD_MS'),
      0,
    ),
    maxEvents: number('max-events', 'SLUICE_MAX_EVENTS', history?.maxEvents, 'history.maxEvents', 1),
    maxAgeMs: number('max-age-ms', 'SLUICE_MAX_AGE_MS', history?.maxAgeMs, 'history.maxAgeMs', 1),
    staticDir: text('static', 'SLUICE_STATIC_DIR', config.static, 'static'),
    logLevel: logLevel(text('log-level', 'SLUICE_LOG_LEVEL', config.logLevel, 'logLevel')),
    metrics: toggle('metrics', 'SLUICE_METRICS', config.metrics, 'metrics'),
    redisUrl: redisUrl(text('redis-url', 'SLUICE_REDIS_URL', redis?.url, 'redis.url')),
    redisCluster: toggle('redis-cluster', 'SLUICE_REDIS_CLUSTER', redis?.cluster, 'redis.cluster'),
    redisPrefix: redisPrefix(text('redis-prefix', 'SLUICE_REDIS_PREFIX', redis?.prefix, 'redis.prefix')),
    redisNodeLeaseMs: number(
      'redis-node-lease-ms',
      'SLUICE_REDIS_NODE_LEASE_MS',
      redis?.nodeLeaseMs,
      'redis.nodeLeaseMs',
      100,
    ),
    workers: number('workers', 'SLUICE_WORKERS', config.workers, 'workers', 1) ?? 1,
  }

  const keySources = [
    options.jwtSecret && '--jwt-secret',
    options.jwtPublicKeyFile && '--jwt-public-key-file',
    options.jwksUrl && '--jwks-url',
  ].filter(Boolean)
  if (keySources.length > 1) throw new CliUsageError(`${keySources.join(' and ')} cannot be used together`)
  const configKey = jwt !== undefined && (jwt.secret ?? jwt.publicKey ?? jwt.jwksUrl) !== undefined
  if (keySources.length === 0 && !configKey && (options.jwtIssuer || options.jwtAudience)) {
    throw new CliUsageError(
      '--jwt-issuer and --jwt-audience need --jwt-secret, --jwt-public-key-file or --jwks-url',
    )
  }
  if (options.jwksUrl !== undefined && !/^https?:\/\//.test(options.jwksUrl)) {
    throw new CliUsageError(`--jwks-url must be an http(s) URL, got ${JSON.stringify(options.jwksUrl)}`)
  }
  const redisGiven = options.redisUrl !== undefined
  if (!redisGiven && read('redis-prefix', 'SLUICE_REDIS_PREFIX') !== undefined) {
    throw new CliUsageError('--redis-prefix needs --redis-url')
  }
  if (!redisGiven && options.redisNodeLeaseMs !== undefined) {
    throw new CliUsageError('--redis-node-lease-ms needs --redis-url')
  }
  if (!redisGiven && options.redisCluster) {
    throw new CliUsageError('--redis-cluster needs --redis-url')
  }
  if (options.redisUrl?.includes(',') && !options.redisCluster) {
    throw new CliUsageError('--redis-url lists several URLs: add --redis-cluster, or give one URL')
  }
  if (options.workers > 1 && !redisGiven) {
    throw new CliUsageError(
      '--workers needs --redis-url: each worker has its own memory engine, so their logs, presence and dedup could not be shared',
    )
  }
  return options
}

function parseValues(argv: string[]): ReturnType<typeof parse>['values'] {
  try {
    return parse(argv).values
  } catch (error) {
    // node:util's messages go on with advice about `--`; the first sentence is the useful part.
    const first = ((error as Error).message.split('\n')[0] ?? '').split('. ')[0]?.replace(/\.$/, '')
    throw new CliUsageError(first || 'invalid arguments', { cause: error })
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'base-path': { type: 'string' },
      'jwt-secret': { type: 'string' },
      'jwt-public-key-file': { type: 'string' },
      'jwks-url': { type: 'string' },
      'jwt-issuer': { type: 'string' },
      'jwt-audience': { type: 'string' },
      'allow-anonymous': { type: 'boolean' },
      config: { type: 'string' },
      'publish-key': { type: 'string', multiple: true },
      'admin-key': { type: 'string', multiple: true },
      'allowed-origin': { type: 'string', multiple: true },
      'max-connections': { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'shutdown-retry-ms': { type: 'string' },
      'shutdown-spread-ms': { type: 'string' },
      'max-events': { type: 'string' },
      'max-age-ms': { type: 'string' },
      static: { type: 'string' },
      metrics: { type: 'boolean' },
      'redis-url': { type: 'string' },
      'redis-cluster': { type: 'boolean' },
      'redis-prefix': { type: 'string' },
      'redis-node-lease-ms': { type: 'string' },
      workers: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  })
}

function integer(
  flag: string,
  raw: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (raw === undefined) return undefined
  // Number('') is 0 and Number('1e3') is 1000: accept plain digits only, so typos fail loudly.
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`
    throw new CliUsageError(`${flag} must be ${range}, got ${JSON.stringify(raw)}`)
  }
  return value
}

function basePath(raw: string): string {
  if (!raw.startsWith('/') || /[?#\s]/.test(raw)) {
    throw new CliUsageError(`--base-path must be a path starting with /, got ${JSON.stringify(raw)}`)
  }
  return raw.length > 1 ? raw.replace(/\/+$/, '') : raw
}

function redisUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined
  // A cluster's nodes come comma-separated; each must be a URL.
  for (const url of raw.split(',')) {
    if (!/^(rediss?|unix):\/\/./.test(url.trim())) {
      throw new CliUsageError(
        `--redis-url must be a redis://, rediss:// or unix:// URL, got ${JSON.stringify(redactPassword(raw))}`,
      )
    }
  }
  return raw
}

function redisPrefix(raw: string | undefined): string {
  if (raw === undefined) return 'sluice'
  // Checked because a flag can be given empty; an empty environment variable means unset.
  if (raw.trim() === '')
    throw new CliUsageError(`--redis-prefix must not be empty, got ${JSON.stringify(raw)}`)
  return raw
}

/**
 * Hides the password of a URL's userinfo (`redis://user:secret@host` → `redis://user:***@host`),
 * for messages and logs that name a Redis URL.
 *
 * @example
 * redactPassword('rediss://:s3cret@cache.internal:6380/0') // 'rediss://:***@cache.internal:6380/0'
 */
export function redactPassword(url: string): string {
  // Up to the last @, not the first: an unencoded @ in a password must not leak the rest of it.
  return url.replace(/^([a-z][a-z\d+.-]*:\/\/[^:@/]*):.*@/i, '$1:***@')
}

function origins(list: string[] | undefined): string[] | '*' | undefined {
  if (list === undefined) return undefined
  if (list.includes('*')) {
    if (list.length > 1) throw new CliUsageError('--allowed-origin * cannot be combined with other origins')
    return '*'
  }
  for (const origin of list) {
    if (!/^https?:\/\/[^/?#]+$/.test(origin)) {
      throw new CliUsageError(
        `--allowed-origin must be an origin like https://app.example.com or https://*.example.com, got ${JSON.stringify(origin)}`,
      )
    }
  }
  return list
}

function logLevel(raw: string | undefined): LevelWithSilent | undefined {
  if (raw === undefined) return undefined
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new CliUsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}`)
  }
  return raw as LevelWithSilent
}

function envFlag(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === '0' || raw.toLowerCase() === 'false') return false
  if (raw === '1' || raw.toLowerCase() === 'true') return true
  throw new CliUsageError(`${name} must be 1, true, 0 or false, got ${JSON.stringify(raw)}`)
}
