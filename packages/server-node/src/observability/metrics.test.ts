import { Counter, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createMetrics } from './metrics'

/** Parses the Sluice samples of a text exposition into `series → value`. */
function samples(text: string): Record<string, number> {
  const result: Record<string, number> = {}
  for (const line of text.split('\n')) {
    if (!line.startsWith('sluice_')) continue
    const space = line.lastIndexOf(' ')
    result[line.slice(0, space)] = Number(line.slice(space + 1))
  }
  return result
}

const WIRE_CODES = [
  'BAD_REQUEST',
  'UNKNOWN_FRAME',
  'PROTOCOL_VERSION',
  'UNAUTHORIZED',
  'TOKEN_EXPIRED',
  'FORBIDDEN',
  'NOT_FOUND',
  'IDLE_TIMEOUT',
  'LIMIT_EXCEEDED',
  'VALIDATION',
  'RATE_LIMITED',
  'SLOW_CONSUMER',
  'INTERNAL',
  'OVERLOADED',
  'SHUTTING_DOWN',
  'UNAVAILABLE',
  'other',
]
const COMMANDS = [
  'subscribe',
  'unsubscribe',
  'publish',
  'call',
  'auth',
  'setPresence',
  'history',
  'ping',
  'other',
]

function zeros(): Record<string, number> {
  const expected: Record<string, number> = {
    'sluice_connections{transport="ws"}': 0,
    'sluice_connections{transport="sse"}': 0,
    'sluice_connections_total{transport="ws"}': 0,
    'sluice_connections_total{transport="sse"}': 0,
    sluice_events_published_total: 0,
    sluice_deliveries_total: 0,
    sluice_slow_consumers_total: 0,
  }
  for (const type of COMMANDS) expected[`sluice_commands_total{type="${type}"}`] = 0
  for (const code of WIRE_CODES) expected[`sluice_errors_total{code="${code}"}`] = 0
  return expected
}

describe('createMetrics', () => {
  it('starts every series at zero', async () => {
    expect(samples(await createMetrics(true).render())).toEqual(zeros())
  })

  it('counts connections, events, deliveries, commands, errors and slow consumers', async () => {
    const metrics = createMetrics(undefined)
    metrics.connectionOpened('ws')
    metrics.connectionOpened('ws')
    metrics.connectionOpened('sse')
    metrics.connectionClosed('ws')
    metrics.eventPublished('todos')
    metrics.eventPublished('chat:1')
    metrics.eventsDelivered(5)
    metrics.eventsDelivered(0)
    metrics.eventsDelivered(2)
    metrics.commandReceived('subscribe')
    metrics.commandReceived('publish')
    metrics.commandReceived('publish')
    metrics.commandReceived('bogus')
    metrics.errorSent('RATE_LIMITED')
    metrics.errorSent('NOT_A_CODE')
    metrics.slowConsumerClosed()

    expect(samples(await metrics.render())).toEqual({
      ...zeros(),
      'sluice_connections{transport="ws"}': 1,
      'sluice_connections{transport="sse"}': 1,
      'sluice_connections_total{transport="ws"}': 2,
      'sluice_connections_total{transport="sse"}': 1,
      sluice_events_published_total: 2,
      sluice_deliveries_total: 7,
      'sluice_commands_total{type="subscribe"}': 1,
      'sluice_commands_total{type="publish"}': 2,
      'sluice_commands_total{type="other"}': 1,
      'sluice_errors_total{code="RATE_LIMITED"}': 1,
      'sluice_errors_total{code="other"}': 1,
      sluice_slow_consumers_total: 1,
    })
  })

  it('declares types and help text', async () => {
    const text = await createMetrics(true).render()
    expect(text).toContain('# TYPE sluice_connections gauge\n')
    for (const name of [
      'sluice_connections_total',
      'sluice_events_published_total',
      'sluice_deliveries_total',
      'sluice_commands_total',
      'sluice_errors_total',
      'sluice_slow_consumers_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} counter\n`)
    }
    expect(text).toContain('# HELP sluice_connections Open client connections.\n')
  })

  it('keeps two servers in one process apart, each with default process metrics', async () => {
    const first = createMetrics(true)
    const second = createMetrics(true)
    first.eventPublished('a')
    expect(samples(await first.render()).sluice_events_published_total).toBe(1)
    expect(samples(await second.render()).sluice_events_published_total).toBe(0)
    expect(await first.render()).toMatch(/^process_cpu_user_seconds_total \d/m)
    expect(first.contentType).toBe('text/plain; version=0.0.4; charset=utf-8')
  })

  it('registers into an app registry without adding default metrics', async () => {
    const registry = new Registry()
    const appCounter = new Counter({ name: 'app_orders_total', help: 'Orders.', registers: [registry] })
    appCounter.inc(3)
    const metrics = createMetrics(registry)
    metrics.slowConsumerClosed()
    const text = await registry.metrics()
    expect(text).toContain('app_orders_total 3\n')
    expect(samples(text).sluice_slow_consumers_total).toBe(1)
    expect(text).not.toContain('process_cpu_user_seconds_total')
    expect(await metrics.render()).toBe(text)
    expect(() => createMetrics(registry)).toThrow(/sluice_connections.*already been registered/)
  })

  it('does nothing when disabled', async () => {
    const metrics = createMetrics(false)
    metrics.connectionOpened('ws')
    metrics.errorSent('INTERNAL')
    expect(await metrics.render()).toBe('')
    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8')
  })
})
