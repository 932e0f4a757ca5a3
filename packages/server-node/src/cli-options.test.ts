import { describe, expect, it } from 'vitest'
import { CLI_USAGE, type CliOptions, CliUsageError, parseCliOptions, redactPassword } from './cli-options'
import type { SluiceConfig } from './config'

const DEFAULTS: CliOptions = {
  help: false,
  version: false,
  port: 8080,
  host: '0.0.0.0',
  basePath: '/realtime',
  jwtSecret: undefined,
  jwtPublicKeyFile: undefined,
  jwksUrl: undefined,
  jwtIssuer: undefined,
  jwtAudience: undefined,
  allowAnonymous: false,
  config: undefined,
  publishKeys: [],
  adminKeys: [],
  allowedOrigins: undefined,
  maxConnections: undefined,
  heartbeatMs: undefined,
  shutdownRetryMs: undefined,
  shutdownSpreadMs: undefined,
  maxEvents: undefined,
  maxAgeMs: undefined,
  staticDir: undefined,
  logLevel: undefined,
  metrics: false,
  redisUrl: undefined,
  redisCluster: false,
  redisPrefix: 'sluice',
  redisNodeLeaseMs: undefined,
  workers: 1,
}

function usageError(argv: string[], env: NodeJS.ProcessEnv = {}, config: SluiceConfig = {}): string {
  try {
    parseCliOptions(argv, env, config)
  } catch (error) {
    expect(error).toBeInstanceOf(CliUsageError)
    expect((error as CliUsageError).exitCode).toBe(2)
    return (error as Error).message
  }
  throw new Error(`expected ${argv.join(' ')} to be rejected`)
}

describe('parseCliOptions', () => {
  it('has defaults for everything', () => {
    expect(parseCliOptions([], {})).toEqual(DEFAULTS)
  })

  it('reads every flag', () => {
    const options = parseCliOptions(
      [
        '--port=9000',
        '--host',
        '127.0.0.1',
        '--base-path',
        '/rt/',
        '--jwks-url',
        'https://auth.example.com/.well-known/jwks.json',
        '--jwt-issuer',
        'https://auth.example.com',
        '--jwt-audience',
        'sluice',
        '--publish-key',
        'k1',
        '--publish-key',
        'k2',
        '--allowed-origin',
        'https://app.example.com',
        '--allowed-origin',
        'https://*.example.org',
        '--max-connections',
        '5000',
        '--heartbeat-ms',
        '10000',
        '--max-events',
        '50',
        '--max-age-ms',
        '60000',
        '--static',
        './dist',
        '--metrics',
        '--log-level',
        'debug',
        '--redis-url',
        'rediss://:s3cret@cache.internal:6380/2',
        '--redis-prefix',
        'chat',
        '--redis-node-lease-ms',
        '5000',
        '--workers',
        '4',
      ],
      {},
    )
    expect(options).toEqual({
      ...DEFAULTS,
      port: 9000,
      host: '127.0.0.1',
      basePath: '/rt',
      jwksUrl: 'https://auth.example.com/.well-known/jwks.json',
      jwtIssuer: 'https://auth.example.com',
      jwtAudience: 'sluice',
      publishKeys: ['k1', 'k2'],
      allowedOrigins: ['https://app.example.com', 'https://*.example.org'],
      maxConnections: 5000,
      heartbeatMs: 10_000,
      maxEvents: 50,
      maxAgeMs: 60_000,
      staticDir: './dist',
      metrics: true,
      logLevel: 'debug',
      redisUrl: 'rediss://:s3cret@cache.internal:6380/2',
      redisPrefix: 'chat',
      redisNodeLeaseMs: 5000,
      workers: 4,
    })
  })

  it('reads the environment', () => {
    const options = parseCliOptions([], {
      PORT: '3000',
      HOST: '::',
      SLUICE_BASE_PATH: '/live',
      SLUICE_JWT_SECRET: 's3cret',
      SLUICE_PUBLISH_KEYS: 'a, b,,c ',
      SLUICE_ALLOWED_ORIGINS: '*',
      SLUICE_MAX_CONNECTIONS: '10',
      SLUICE_HEARTBEAT_MS: '5000',
      SLUICE_MAX_EVENTS: '20',
      SLUICE_MAX_AGE_MS: '1000',
      SLUICE_STATIC_DIR: '/srv/app',
      SLUICE_METRICS: 'true',
      SLUICE_LOG_LEVEL: 'warn',
      SLUICE_REDIS_URL: 'unix:///run/redis/redis.sock',
      SLUICE_REDIS_PREFIX: 'staging',
      SLUICE_REDIS_NODE_LEASE_MS: '2000',
      SLUICE_WORKERS: '3',
    })
    expect(options).toEqual({
      ...DEFAULTS,
      port: 3000,
      host: '::',
      basePath: '/live',
      jwtSecret: 's3cret',
      publishKeys: ['a', 'b', 'c'],
      allowedOrigins: '*',
      maxConnections: 10,
      heartbeatMs: 5000,
      maxEvents: 20,
      maxAgeMs: 1000,
      staticDir: '/srv/app',
      metrics: true,
      logLevel: 'warn',
      redisUrl: 'unix:///run/redis/redis.sock',
      redisPrefix: 'staging',
      redisNodeLeaseMs: 2000,
      workers: 3,
    })
  })

  it('lets flags win over the environment, lists included', () => {
    const env = {
      PORT: '3000',
      SLUICE_PUBLISH_KEYS: 'env-key',
      SLUICE_ALLOWED_ORIGINS: 'https://env.example',
    }
    expect(parseCliOptions(['--port', '4000', '--publish-key', 'flag-key'], env)).toEqual({
      ...DEFAULTS,
      port: 4000,
      publishKeys: ['flag-key'],
      allowedOrigins: ['https://env.example'],
    })
  })

  it('treats empty environment variables as unset', () => {
    expect(parseCliOptions([], { PORT: '', SLUICE_PUBLISH_KEYS: ' ', SLUICE_METRICS: '' })).toEqual(DEFAULTS)
  })

  it('accepts port 0 and the short help and version flags', () => {
    expect(parseCliOptions(['--port', '0', '-h', '-v'], {})).toEqual({
      ...DEFAULTS,
      port: 0,
      help: true,
      version: true,
    })
  })

  it.each([
    [['--port', 'abc'], '--port must be an integer from 0 to 65535, got "abc"'],
    [['--port', '65536'], '--port must be an integer from 0 to 65535, got "65536"'],
    [['--port=-1'], '--port must be an integer from 0 to 65535, got "-1"'],
    [['--port', '80.5'], '--port must be an integer from 0 to 65535, got "80.5"'],
    [['--max-connections', '0'], '--max-connections must be an integer ≥ 1, got "0"'],
    [['--heartbeat-ms', '1e3'], '--heartbeat-ms must be an integer ≥ 1, got "1e3"'],
    [['--max-events', ''], '--max-events must be an integer ≥ 1, got ""'],
    [['--max-age-ms', '10s'], '--max-age-ms must be an integer ≥ 1, got "10s"'],
    [
      ['--log-level', 'verbose'],
      '--log-level must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
    ],
    [['--base-path', 'realtime'], '--base-path must be a path starting with /, got "realtime"'],
    [
      ['--allowed-origin', 'app.example.com'],
      '--allowed-origin must be an origin like https://app.example.com or https://*.example.com, got "app.example.com"',
    ],
    [
      ['--allowed-origin', '*', '--allowed-origin', 'https://a.example'],
      '--allowed-origin * cannot be combined with other origins',
    ],
    [
      ['--jwt-secret', 's', '--jwks-url', 'https://a.example/jwks'],
      '--jwt-secret and --jwks-url cannot be used together',
    ],
    [
      ['--jwt-issuer', 'https://a.example'],
      '--jwt-issuer and --jwt-audience need --jwt-secret, --jwt-public-key-file or --jwks-url',
    ],
    [['--jwks-url', 'file:///etc/keys'], '--jwks-url must be an http(s) URL, got "file:///etc/keys"'],
    [
      ['--redis-url', 'localhost:6379'],
      '--redis-url must be a redis://, rediss:// or unix:// URL, got "localhost:6379"',
    ],
    [
      ['--redis-url', 'http://user:hunter2@cache:6379'],
      '--redis-url must be a redis://, rediss:// or unix:// URL, got "http://user:***@cache:6379"',
    ],
    [['--redis-url', 'redis://'], '--redis-url must be a redis://, rediss:// or unix:// URL, got "redis://"'],
    [['--redis-prefix', 'x'], '--redis-prefix needs --redis-url'],
    [['--redis-node-lease-ms', '5000'], '--redis-node-lease-ms needs --redis-url'],
    [['--redis-cluster'], '--redis-cluster needs --redis-url'],
    [
      ['--redis-url', 'redis://a:7000,redis://b:7001'],
      '--redis-url lists several URLs: add --redis-cluster, or give one URL',
    ],
    [
      ['--redis-cluster', '--redis-url', 'redis://a:7000,b:7001'],
      '--redis-url must be a redis://, rediss:// or unix:// URL, got "redis://a:7000,b:7001"',
    ],
    [
      ['--redis-url', 'redis://cache', '--redis-node-lease-ms', '50'],
      '--redis-node-lease-ms must be an integer ≥ 100, got "50"',
    ],
    [['--redis-url', 'redis://cache', '--redis-prefix', ''], '--redis-prefix must not be empty, got ""'],
    [['--workers', '0'], '--workers must be an integer ≥ 1, got "0"'],
    [['--workers', 'four'], '--workers must be an integer ≥ 1, got "four"'],
    [
      ['--workers', '2'],
      '--workers needs --redis-url: each worker has its own memory engine, so their logs, presence and dedup could not be shared',
    ],
  ])('rejects %j', (argv, message) => {
    expect(usageError(argv)).toBe(message)
  })

  it('names the environment variable’s flag for bad environment numbers', () => {
    expect(usageError([], { PORT: 'http' })).toBe('--port must be an integer from 0 to 65535, got "http"')
    expect(usageError([], { SLUICE_METRICS: 'yes' })).toBe(
      'SLUICE_METRICS must be 1, true, 0 or false, got "yes"',
    )
    expect(usageError([], { SLUICE_WORKERS: '0' })).toBe('--workers must be an integer ≥ 1, got "0"')
    expect(usageError([], { SLUICE_REDIS_URL: 'cache:6379' })).toBe(
      '--redis-url must be a redis://, rediss:// or unix:// URL, got "cache:6379"',
    )
    expect(usageError([], { SLUICE_WORKERS: '2' })).toBe(
      '--workers needs --redis-url: each worker has its own memory engine, so their logs, presence and dedup could not be shared',
    )
  })

  it('accepts one worker without Redis, and a Redis URL from a flag over the environment', () => {
    expect(parseCliOptions(['--workers', '1'], {})).toEqual(DEFAULTS)
    expect(
      parseCliOptions(['--redis-url', 'redis://flag:6379', '--workers', '2'], {
        SLUICE_REDIS_URL: 'redis://env:6379',
      }),
    ).toEqual({ ...DEFAULTS, redisUrl: 'redis://flag:6379', workers: 2 })
  })

  it.each([
    ['redis://:s3cret@cache:6379', 'redis://:***@cache:6379'],
    ['rediss://default:s3cret@cache:6380/1', 'rediss://default:***@cache:6380/1'],
    ['redis://user:p@ss@cache', 'redis://user:***@cache'],
    ['redis://user@cache:6379', 'redis://user@cache:6379'],
    ['redis://cache:6379/0', 'redis://cache:6379/0'],
  ])('redacts the password of %s', (url, redacted) => {
    expect(redactPassword(url)).toBe(redacted)
  })

  it('rejects unknown flags, positionals and missing values', () => {
    expect(usageError(['--prot', '80'])).toBe("Unknown option '--prot'")
    expect(usageError(['serve'])).toBe("Unexpected argument 'serve'")
    expect(usageError(['--port'])).toBe("Option '--port <value>' argument missing")
    expect(usageError(['--port', '-1'])).toBe("Option '--port' argument is ambiguous")
  })

  it('documents every flag in the usage text', () => {
    for (const flag of [
      '--port',
      '--jwt-public-key-file',
      '--publish-key',
      '--static',
      '--metrics',
      '--redis-url',
      'SLUICE_REDIS_URL',
      '--redis-prefix',
      'SLUICE_REDIS_PREFIX',
      '--workers',
      'SLUICE_WORKERS',
      '--version',
    ]) {
      expect(CLI_USAGE).toContain(flag)
    }
    expect(CLI_USAGE.split('\n')[0]).toBe('Usage: sluice-server [options]')
  })
})

describe('parseCliOptions: Redis Cluster', () => {
  it('takes the nodes of a cluster, comma-separated, with --redis-cluster or SLUICE_REDIS_CLUSTER', () => {
    const nodes = 'redis://10.0.0.1:7000, redis://10.0.0.2:7000'
    expect(parseCliOptions(['--redis-url', nodes, '--redis-cluster'], {})).toEqual({
      ...DEFAULTS,
      redisUrl: nodes,
      redisCluster: true,
    })
    expect(parseCliOptions([], { SLUICE_REDIS_URL: nodes, SLUICE_REDIS_CLUSTER: '1' })).toEqual({
      ...DEFAULTS,
      redisUrl: nodes,
      redisCluster: true,
    })
  })
})

describe('the config file', () => {
  const config: SluiceConfig = {
    port: 9100,
    host: '127.0.0.1',
    basePath: '/rt',
    publishKeys: ['from-config'],
    adminKeys: ['admin-from-config'],
    allowedOrigins: ['https://app.example.com'],
    maxConnections: 500,
    history: { maxEvents: 50, maxAgeMs: 60_000 },
    jwt: { secret: 'config-secret', allowAnonymous: true },
    metrics: true,
    logLevel: 'warn',
  }

  it('gives every setting a fallback', () => {
    expect(parseCliOptions(['--config', 'sluice.config.js'], {}, config)).toEqual({
      ...DEFAULTS,
      config: 'sluice.config.js',
      port: 9100,
      host: '127.0.0.1',
      basePath: '/rt',
      publishKeys: ['from-config'],
      adminKeys: ['admin-from-config'],
      allowedOrigins: ['https://app.example.com'],
      maxConnections: 500,
      maxEvents: 50,
      maxAgeMs: 60_000,
      allowAnonymous: true,
      metrics: true,
      logLevel: 'warn',
    })
  })

  it('loses to the environment, which loses to flags', () => {
    const env = {
      PORT: '9200',
      SLUICE_PUBLISH_KEYS: 'env-key',
      SLUICE_CONFIG: 'other.json',
      SLUICE_ADMIN_KEYS: 'a1,a2',
    }
    const options = parseCliOptions(['--port', '9300', '--config', 'sluice.config.js'], env, config)
    expect(options).toMatchObject({
      port: 9300,
      publishKeys: ['env-key'],
      adminKeys: ['a1', 'a2'],
      config: 'sluice.config.js',
    })
    expect(parseCliOptions([], env, config)).toMatchObject({ port: 9200, config: 'other.json' })
  })

  it('names the setting of a bad value', () => {
    expect(usageError([], {}, { port: 70_000 })).toBe(
      'port in the config file must be an integer from 0 to 65535, got "70000"',
    )
    expect(usageError([], {}, { publishKeys: 'k' as never })).toBe(
      'publishKeys in the config file must be a list of strings',
    )
    expect(usageError([], {}, { metrics: 'yes' as never })).toBe(
      'metrics in the config file must be true or false',
    )
    expect(usageError([], {}, { host: 5 as never })).toBe('host in the config file must be a string')
    // A key in the config satisfies --jwt-issuer's need for one.
    expect(parseCliOptions(['--jwt-issuer', 'iss'], {}, { jwt: { secret: 's' } }).jwtIssuer).toBe('iss')
  })

  it('takes --allow-anonymous and --admin-key as flags and environment', () => {
    expect(parseCliOptions(['--allow-anonymous', '--admin-key', 'x', '--admin-key', 'y'], {})).toMatchObject({
      allowAnonymous: true,
      adminKeys: ['x', 'y'],
    })
    expect(parseCliOptions([], { SLUICE_ALLOW_ANONYMOUS: 'true' }).allowAnonymous).toBe(true)
    expect(usageError([], { SLUICE_ALLOW_ANONYMOUS: 'maybe' })).toBe(
      'SLUICE_ALLOW_ANONYMOUS must be 1, true, 0 or false, got "maybe"',
    )
  })
})

describe('the shutdown hint', () => {
  it('takes --shutdown-retry-ms and --shutdown-spread-ms, 0 included, as flags or environment', () => {
    expect(parseCliOptions(['--shutdown-retry-ms', '0', '--shutdown-spread-ms', '5000'], {})).toMatchObject({
      shutdownRetryMs: 0,
      shutdownSpreadMs: 5000,
    })
    expect(parseCliOptions([], { SLUICE_SHUTDOWN_RETRY_MS: '250' }).shutdownRetryMs).toBe(250)
    expect(usageError(['--shutdown-spread-ms', 'soon'])).toBe(
      '--shutdown-spread-ms must be an integer ≥ 0, got "soon"',
    )
  })
})
