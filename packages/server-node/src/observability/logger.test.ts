import { pino } from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLogger } from './logger'

function capture() {
  const lines: Array<Record<string, unknown>> = []
  const raw: string[] = []
  const stream = {
    write(line: string) {
      raw.push(line)
      lines.push(JSON.parse(line) as Record<string, unknown>)
    },
  }
  return { lines, raw, stream }
}

describe('createLogger', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it('never prints a token from a URL, a token field or credential headers', () => {
    const { lines, raw, stream } = capture()
    const logger = createLogger(undefined, 'info', stream)
    logger.info(
      {
        url: '/realtime/ws?v=1&token=secret-1',
        token: 'secret-2',
        headers: {
          authorization: 'Bearer secret-3',
          cookie: 'sid=secret-4',
          'sluice-key': 'secret-5',
          accept: '*/*',
        },
        auth: { token: 'secret-6' },
      },
      'connect',
    )
    expect(raw.join('')).not.toMatch(/secret-/)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({
      level: 30,
      name: 'sluice',
      msg: 'connect',
      url: '/realtime/ws?v=1&token=[REDACTED]',
      token: '[REDACTED]',
      headers: {
        authorization: '[REDACTED]',
        cookie: '[REDACTED]',
        'sluice-key': '[REDACTED]',
        accept: '*/*',
      },
      auth: { token: '[REDACTED]' },
    })
  })

  it('serializes a request object without its credentials', () => {
    const { lines, raw, stream } = capture()
    const logger = createLogger(undefined, 'info', stream)
    const req = {
      method: 'GET',
      url: '/realtime/sse?token=secret-1',
      headers: { authorization: 'Bearer secret-2' },
      socket: { remoteAddress: '127.0.0.1' },
    }
    logger.child({ connectionId: 'c1' }).warn({ req }, 'rejected')
    expect(raw.join('')).not.toMatch(/secret-/)
    expect(lines[0]).toMatchObject({
      level: 40,
      connectionId: 'c1',
      req: { method: 'GET', url: '/realtime/sse?token=[REDACTED]', remoteAddress: '127.0.0.1' },
    })
  })

  it('takes its level from the argument, then SLUICE_LOG_LEVEL, then info', () => {
    const first = capture()
    createLogger(undefined, 'warn', first.stream).info('hidden')
    expect(first.lines).toEqual([])

    vi.stubEnv('SLUICE_LOG_LEVEL', 'debug')
    const second = capture()
    createLogger(undefined, undefined, second.stream).debug('shown')
    expect(second.lines.map((line) => line.msg)).toEqual(['shown'])

    vi.stubEnv('SLUICE_LOG_LEVEL', '')
    const third = capture()
    const logger = createLogger(undefined, undefined, third.stream)
    logger.debug('hidden')
    logger.info('shown')
    expect(third.lines.map((line) => line.msg)).toEqual(['shown'])
  })

  it('names SLUICE_LOG_LEVEL when it holds an unknown level', () => {
    vi.stubEnv('SLUICE_LOG_LEVEL', 'verbose')
    expect(() => createLogger(undefined)).toThrow(
      'SLUICE_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
    )
    expect(() => createLogger(undefined, 'warn', capture().stream)).not.toThrow()
  })

  it('is silent when disabled', () => {
    const logger = createLogger(false)
    expect(() => logger.error(new Error('nothing'), 'ignored')).not.toThrow()
    expect((logger as pino.Logger).isLevelEnabled('fatal')).toBe(false)
  })

  it('redacts through an app-provided pino logger as well', () => {
    const { lines, raw, stream } = capture()
    const appLogger = pino({ base: { app: 'todo' } }, stream)
    createLogger(appLogger).info(
      { url: 'https://x.example/realtime/ws?token=secret-1', token: 'secret-2' },
      'hello',
    )
    expect(raw.join('')).not.toMatch(/secret-/)
    expect(lines[0]).toMatchObject({
      app: 'todo',
      msg: 'hello',
      url: 'https://x.example/realtime/ws?token=[REDACTED]',
      token: '[REDACTED]',
    })
  })
})
