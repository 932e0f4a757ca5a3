import { ERROR_CODES } from '@sluice/protocol'
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client'

/** Transports a connection can use. */
export type MetricsTransport = 'ws' | 'sse'

/** What the server reports to Prometheus. Every method is cheap enough for the hot path. */
export interface ServerMetrics {
  connectionOpened(transport: MetricsTransport): void
  connectionClosed(transport: MetricsTransport): void
  /** Counts events published to any topic; the topic is not a label, to keep cardinality bounded. */
  eventPublished(topic: string): void
  /** Counts `n` event frames sent to subscribers. */
  eventsDelivered(n: number): void
  /** Counts a client frame by type; types outside the protocol count as `other`. */
  commandReceived(type: string): void
  /** Counts an error sent to a client by code; codes outside the protocol count as `other`. */
  errorSent(code: string): void
  slowConsumerClosed(): void
  /** The `content-type` of {@link ServerMetrics.render}'s output. */
  readonly contentType: string
  /** The metrics in the Prometheus text exposition format. */
  render(): Promise<string>
}

const TRANSPORTS: readonly MetricsTransport[] = ['ws', 'sse']
const COMMAND_TYPES = [
  'subscribe',
  'unsubscribe',
  'publish',
  'call',
  'auth',
  'setPresence',
  'history',
  'ping',
  'other',
] as const
const ERROR_LABELS = [
  ...Object.entries(ERROR_CODES)
    .filter(([, info]) => info.wire)
    .map(([code]) => code),
  'other',
]

type Increment = { inc(value?: number): void }
type UpDown = Increment & { dec(value?: number): void }

/**
 * Resolves the server's `metrics` option. `true` or `undefined` creates a registry of its own
 * (so two servers in one process never collide) with the process's default metrics; a prom-client
 * `Registry` gets only the Sluice metrics registered into it; `false` gives a no-op with the same
 * interface.
 *
 * @example
 * const metrics = createMetrics(true)
 * res.writeHead(200, { 'content-type': metrics.contentType }).end(await metrics.render())
 */
export function createMetrics(option: boolean | Registry | undefined): ServerMetrics {
  if (option === false) return noopMetrics
  const ownRegistry = !(option instanceof Registry)
  const registry = option instanceof Registry ? option : new Registry()
  if (ownRegistry) collectDefaultMetrics({ register: registry })
  const registers = [registry]

  const connections = new Gauge({
    name: 'sluice_connections',
    help: 'Open client connections.',
    labelNames: ['transport'],
    registers,
  })
  const connectionsTotal = new Counter({
    name: 'sluice_connections_total',
    help: 'Client connections accepted since start.',
    labelNames: ['transport'],
    registers,
  })
  const published = new Counter({
    name: 'sluice_events_published_total',
    help: 'Events published to any topic.',
    registers,
  })
  const deliveries = new Counter({
    name: 'sluice_deliveries_total',
    help: 'Event frames sent to subscribers.',
    registers,
  })
  const commands = new Counter({
    name: 'sluice_commands_total',
    help: 'Client frames received, by type.',
    labelNames: ['type'],
    registers,
  })
  const errors = new Counter({
    name: 'sluice_errors_total',
    help: 'Error frames and error responses sent, by code.',
    labelNames: ['code'],
    registers,
  })
  const slowConsumers = new Counter({
    name: 'sluice_slow_consumers_total',
    help: 'Connections closed because their outbound buffer went over the limit.',
    registers,
  })

  // Children are bound once because labels() hashes its arguments on every call, too slow for
  // per-event paths; each starts at 0 so that rate() and alerts see a series before its first event.
  const open = bind<UpDown>(TRANSPORTS, (transport) => connections.labels(transport))
  const accepted = bind<Increment>(TRANSPORTS, (transport) => connectionsTotal.labels(transport))
  const byType = bind<Increment>(COMMAND_TYPES, (type) => commands.labels(type))
  const byCode = bind<Increment>(ERROR_LABELS, (code) => errors.labels(code))
  for (const children of [open, accepted, byType, byCode]) for (const child of children.values()) child.inc(0)
  const otherType = byType.get('other') as Increment
  const otherCode = byCode.get('other') as Increment

  return {
    connectionOpened(transport) {
      open.get(transport)?.inc()
      accepted.get(transport)?.inc()
    },
    connectionClosed(transport) {
      open.get(transport)?.dec()
    },
    eventPublished() {
      published.inc()
    },
    eventsDelivered(n) {
      if (n > 0) deliveries.inc(n)
    },
    commandReceived(type) {
      ;(byType.get(type) ?? otherType).inc()
    },
    errorSent(code) {
      ;(byCode.get(code) ?? otherCode).inc()
    },
    slowConsumerClosed() {
      slowConsumers.inc()
    },
    get contentType() {
      return registry.contentType
    },
    render() {
      return registry.metrics()
    },
  }
}

function bind<T>(values: readonly string[], child: (value: string) => T): Map<string, T> {
  return new Map(values.map((value) => [value, child(value)]))
}

const noop = (): void => {}

/** The implementation behind `metrics: false`. */
const noopMetrics: ServerMetrics = {
  connectionOpened: noop,
  connectionClosed: noop,
  eventPublished: noop,
  eventsDelivered: noop,
  commandReceived: noop,
  errorSent: noop,
  slowConsumerClosed: noop,
  contentType: 'text/plain; version=0.0.4; charset=utf-8',
  render: () => Promise.resolve(''),
}
