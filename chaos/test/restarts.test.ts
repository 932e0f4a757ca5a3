/**
 * Server restarts under load: the real `sluice-server` (memory engine) is restarted on the same
 * port every few seconds, by SIGKILL and by SIGTERM in turn, while a backend publishes numbered
 * events over HTTP, a client publishes through the client API on a topic of its own, and clients
 * on WebSocket and on SSE only hold a recorded crud store per topic. Every restart loses the log,
 * so every store must be told (a resync with epoch_changed) and reload; the history check then
 * accepts nothing lost without that cover and nothing repeated.
 *
 * The CLI refuses client publishes unless its rules allow them: it gets a `--config` file whose
 * rules let anyone publish on the client's topic.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient, type SluiceClient } from '@sluice/client'
import { afterAll, expect, test } from 'vitest'
import WebSocket from 'ws'
import { checkHistory, type HistoryVerdict } from './support/history-check'
import { clientSender, createPublisher, httpSender, type Publisher } from './support/publisher'
import { type ConnectionLog, logConnections } from './support/reconnect-timeline'
import { idsSinceLastLoad, type RecordedStore, recordedStore } from './support/recorded-store'
import { writeFigures } from './support/reliability-doc'
import { type Restart, type StopSignal, startServerProcess } from './support/server-process'
import { LONG, sized } from './support/sizing'
import { until, within } from './support/wait'

const KEY = 'chaos-publish-key'
const TOPICS = ['t0', 't1', 't2', 't3']
/** A client publishing through the client API, on each transport, to a topic of its own. */
const CLIENT_TOPICS = { ws: 'c0', sse: 'c1' } as const
const WS_CLIENTS = sized(4, 12)
const SSE_CLIENTS = sized(4, 12)
const RESTARTS = sized(6, 30)
/** Events per second over all HTTP topics. */
const RATE = sized(200, 300)
/** Events each topic gets acknowledged in every server life before the next restart. */
const PER_LIFE = sized(80, 150)
/** The same for each client publisher's topic, which it publishes to at CLIENT_RATE. */
const CLIENT_RATE = 20
const CLIENT_PER_LIFE = 10
/**
 * The bound asserted: every store resumed (reloaded in the new epoch) within this long after the
 * new server logged "listening". The tail is the clients' full-jitter backoff after SIGKILL: a
 * client whose first four retries all fell while the server was down waits up to 8 s for its
 * fifth (ceilings 0.5, 1, 2, 4, 8 s); 2 s more to reconnect, resubscribe and reload.
 */
const RESUME_BOUND_MS = 10_000

const cleanup: Array<() => Promise<void> | void> = []
afterAll(async () => {
  for (const step of cleanup.reverse()) await step()
}, 60_000)

interface Reader {
  name: string
  client: SluiceClient
  stores: RecordedStore[]
  log: ConnectionLog
}

/** A restart, when every store had resumed, and the client that took longest with its connect attempts. */
type RestartFigures = Restart & {
  resumedAt: number
  slowest: { name: string; attempts: number; reasons: string[] }
}

test(
  `${RESTARTS} restarts (SIGKILL and SIGTERM in turn) while publishing: every store gets each event at most once, in order, and every loss is covered by a resync`,
  async () => {
    const server = await startServerProcess([
      '--publish-key',
      KEY,
      '--max-events',
      '1000000',
      '--config',
      clientPublishConfig(),
    ])
    cleanup.push(() => server.stop())
    const clientTopics = Object.values(CLIENT_TOPICS) as string[]
    const topics = [...TOPICS, ...clientTopics]

    const readers: Reader[] = []
    for (const [transport, count] of [
      ['ws', WS_CLIENTS],
      ['sse', SSE_CLIENTS],
    ] as const) {
      for (let i = 0; i < count; i++) {
        const name = `${transport}-${i}`
        const client = createClient({ url: server.url, WebSocket, transports: [transport] })
        cleanup.push(() => client.close())
        const log = logConnections(client)
        const stores = topics.map((topic) => recordedStore(client, topic, `${name}/${topic}`))
        readers.push({ name, client, stores, log })
      }
    }
    const stores = readers.flatMap((reader) => reader.stores)
    await within(
      Promise.all(
        stores.map((s) => until(s.sub.$state, (state) => state.status === 'live', s.history.name, 30_000)),
      ),
      30_000,
      'every store live',
    )

    const publishers: Publisher[] = [
      createPublisher({ topics: TOPICS, perSecond: RATE, send: httpSender(server.url, KEY) }),
    ]
    for (const [transport, topic] of Object.entries(CLIENT_TOPICS) as Array<['ws' | 'sse', string]>) {
      const client = createClient({ url: server.url, WebSocket, transports: [transport] })
      cleanup.push(() => client.close())
      publishers.push(
        createPublisher({ topics: [topic], perSecond: CLIENT_RATE, send: clientSender(client) }),
      )
    }
    const publisherOf = (topic: string) => publishers.find((p) => p.truth.has(topic)) as Publisher
    for (const publisher of publishers) {
      publisher.start()
      // First to go when the test fails: a publisher still sending keeps the server from draining.
      cleanup.push(() => publisher.stop().catch(() => {}))
    }

    const storeEpoch = (store: RecordedStore) => store.sub.$state.get().position?.epoch
    const restarts: RestartFigures[] = []
    for (let r = 0; r < RESTARTS; r++) {
      // A few seconds of traffic in this life: every topic's stream acknowledged in the epoch the stores are in.
      await Promise.all(
        topics.map((topic) => {
          const publisher = publisherOf(topic)
          const epoch = storeEpoch(stores.find((s) => s.history.topic === topic) as RecordedStore) as string
          const wanted = clientTopics.includes(topic) ? CLIENT_PER_LIFE : PER_LIFE
          return publisher.acked.until(
            () => publisher.countIn(topic, epoch) >= wanted,
            `${wanted} acknowledged publishes on ${topic} in epoch ${epoch} (life ${r + 1})`,
            30_000,
          )
        }),
      )
      const before = new Map(stores.map((s) => [s, storeEpoch(s)]))
      const signal: StopSignal = r % 2 === 0 ? 'SIGKILL' : 'SIGTERM'
      const restart = await server.restart(signal)
      // Resumed: the store reloaded in the new life's epoch after its resync.
      const resumed = await Promise.all(
        readers.map(async (reader) => {
          await Promise.all(
            reader.stores.map((s) =>
              until(
                s.sub.$state,
                (state) => state.status === 'live' && state.position?.epoch !== before.get(s),
                `${s.history.name} to resume after restart ${r + 1} (${signal})`,
                RESUME_BOUND_MS,
                (state) => `${state.status} at ${JSON.stringify(state.position)}`,
              ),
            ),
          )
          return { reader, at: performance.now() }
        }),
      )
      const last = resumed.reduce((a, b) => (b.at > a.at ? b : a))
      const attempts = last.reader.log.attempts.filter((attempt) => attempt.at >= restart.killedAt)
      const reasons = [...new Set(attempts.map((attempt) => attempt.after ?? 'first connect'))]
      restarts.push({
        ...restart,
        resumedAt: last.at,
        slowest: { name: last.reader.name, attempts: attempts.length, reasons },
      })
    }

    for (const publisher of publishers) await publisher.stop()
    // One last event per topic: a store that has it has everything before it, or a violation.
    for (const topic of topics) {
      const last = await within(publisherOf(topic).publish(topic), 10_000, `the closing publish on ${topic}`)
      await Promise.all(
        stores
          .filter((s) => s.history.topic === topic)
          .map((s) =>
            until(
              s.sub.$state,
              (state) => state.position?.epoch === last.epoch && state.position.seq >= last.seq,
              `${s.history.name} to reach the closing event ${last.epoch}:${last.seq}`,
              10_000,
            ),
          ),
      )
    }

    const verdicts: HistoryVerdict[] = []
    for (const store of stores) {
      const truth = publisherOf(store.history.topic).truth.get(store.history.topic)
      if (!truth) throw new Error(`no publisher truth for ${store.history.topic}`)
      const verdict = checkHistory(store.history, truth)
      verdicts.push(verdict)
      expect(verdict.violations).toEqual([])
      // Every restart reached this store as one resync with its reason, and it reloaded in every life's epoch.
      expect(verdict.resyncs).toEqual(Array(RESTARTS).fill('epoch_changed'))
      expect(verdict.loadEpochs).toEqual(truth.epochs)
      expect(store.sub.$state.get().data.items.map((item) => item.id)).toEqual(
        idsSinceLastLoad(store.history),
      )
    }
    for (const topic of topics) expect(publisherOf(topic).truth.get(topic)?.epochs).toHaveLength(RESTARTS + 1)

    const figures = summarize(restarts, verdicts, publishers, readers.length)
    console.log(figures)
    if (LONG) writeFigures('restarts', figures)
  },
  sized(150_000, 900_000),
)

/**
 * A `--config` file whose rules let anyone publish from a client on the CLIENT_TOPICS (and subscribe
 * to every topic, which a rules list must then say too: a topic no rule matches is refused).
 */
function clientPublishConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-chaos-'))
  const file = join(dir, 'sluice.config.json')
  const rules = [
    ...Object.values(CLIENT_TOPICS).map((topic) => ({ topic, subscribe: 'anyone', publish: 'anyone' })),
    { topic: '*', subscribe: 'anyone' },
  ]
  writeFileSync(file, JSON.stringify({ rules }))
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
  return file
}

const ms = (value: number) => `${Math.round(value)} ms`

function summarize(
  restarts: RestartFigures[],
  verdicts: HistoryVerdict[],
  publishers: Publisher[],
  clients: number,
): string {
  const sum = (pick: (v: HistoryVerdict) => number) => verdicts.reduce((total, v) => total + pick(v), 0)
  const rows = restarts.map(
    (r, i) =>
      `| ${i + 1} | ${r.signal} | ${ms(r.exitedAt - r.killedAt)} | ${ms(r.listeningAt - r.exitedAt)} | ` +
      `${ms(r.resumedAt - r.listeningAt)} | ${r.slowest.name}, ${r.slowest.attempts} (${r.slowest.reasons.join('; ')}) |`,
  )
  const worst = (signal: StopSignal) =>
    Math.max(...restarts.filter((r) => r.signal === signal).map((r) => r.resumedAt - r.listeningAt))
  return [
    `Run of ${new Date().toISOString().slice(0, 10)}: ${restarts.length} restarts, ${clients} clients ` +
      `(${WS_CLIENTS} WebSocket, ${SSE_CLIENTS} SSE only) × ${verdicts.length / clients} topics = ${verdicts.length} stores, ` +
      `${publishers.reduce((n, p) => n + p.count(), 0)} publishes acknowledged ` +
      `(${publishers.slice(1).reduce((n, p) => n + p.count(), 0)} of them through the client API, on WebSocket and SSE; ` +
      `${publishers.reduce((n, p) => n + p.retries, 0)} attempts retried), ` +
      `${sum((v) => v.delivered)} events applied and checked, ${sum((v) => v.resyncs.length)} resyncs (all epoch_changed), ` +
      `${sum((v) => v.covered)} acknowledged events covered by a (re)load instead of delivered, ` +
      `${sum((v) => v.reappended)} publishes applied again in a new epoch after their acknowledgement was lost, 0 violations.`,
    '',
    `Slowest resume after the new server listened: ${ms(worst('SIGKILL'))} after SIGKILL, ${ms(worst('SIGTERM'))} after SIGTERM (bound asserted: ${ms(RESUME_BOUND_MS)}).`,
    '',
    '| restart | signal | stop (signal → exit) | start (exit → listening) | every store resumed after listening | last client back: its connect attempts (after) |',
    '| ------- | ------ | -------------------- | ------------------------ | ----------------------------------- | ---------------------------------------------- |',
    ...rows,
  ].join('\n')
}
