import { DEFAULT_LIMITS } from '@sluice/protocol'
import { describe, expect, it } from 'vitest'
import { resolveOptions } from './options'

describe('resolveOptions', () => {
  it('applies the documented defaults', () => {
    const options = resolveOptions({})
    expect(options).toMatchObject({
      basePath: '/realtime',
      heartbeatMs: 25_000,
      idleTimeoutMs: 50_000,
      limits: DEFAULT_LIMITS,
      rateLimit: { perSecond: 100, burst: 200 },
      maxConnections: Number.POSITIVE_INFINITY,
      maxBufferedBytes: 1024 * 1024,
      allowedOrigins: '*',
      publishKeys: [],
      coalesceMs: 50,
      dedupWindow: { size: 1000, ms: 120_000 },
      sseRetryMs: 2_000,
    })
    expect(options.procedures.size).toBe(0)
  })

  it('merges partial limits and derives the idle timeout from the heartbeat', () => {
    const options = resolveOptions({ limits: { maxBatch: 10 }, heartbeatMs: 1_000 })
    expect(options.limits).toEqual({ ...DEFAULT_LIMITS, maxBatch: 10 })
    expect(options.idleTimeoutMs).toBe(2_000)
  })

  it('fails fast on values that cannot work, naming the option', () => {
    expect(() => resolveOptions({ basePath: 'realtime' })).toThrow(
      'basePath must look like \'/realtime\' (no trailing slash), received "realtime"',
    )
    expect(() => resolveOptions({ basePath: '/realtime/' })).toThrow(TypeError)
    expect(() => resolveOptions({ heartbeatMs: 0 })).toThrow(
      'heartbeatMs must be a positive number, received 0',
    )
    expect(() => resolveOptions({ heartbeatMs: 1_000, idleTimeoutMs: 1_000 })).toThrow(
      'idleTimeoutMs (1000) must be greater than heartbeatMs (1000); the default is twice it',
    )
    expect(() => resolveOptions({ procedures: { bad: { input: {}, handler: () => 1 } as never } })).toThrow(
      'procedures.bad.input must be a Standard Schema (zod, valibot, arktype…)',
    )
    expect(() =>
      resolveOptions({ procedures: { bad: { guard: 'admins', handler: () => 1 } as never } }),
    ).toThrow(
      `procedures.bad.guard must be 'anyone', 'authenticated', 'owner', 'nobody', { claim } or a list of them, received "admins"`,
    )
    expect(() => resolveOptions({ procedures: { bad: 5 as never } })).toThrow(
      'procedures.bad must be a function or { handler, guard?, input? }',
    )
    expect(() => resolveOptions({ rules: [{ topic: 'chat:*', publsh: 'anyone' } as never] })).toThrow(
      'rules[0] has an unknown field "publsh" (a topic rule has topic, subscribe, publish, presence, history)',
    )
  })

  it('accepts the root as base path', () => {
    expect(resolveOptions({ basePath: '/' }).basePath).toBe('')
  })
})
