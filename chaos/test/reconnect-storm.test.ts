/**
 * A reconnect storm: thousands of clients on one real `sluice-server` when it restarts. They
 * must come back spread over time, not in one instant, and all be resumed (their stores reloaded
 * in the new epoch after a resync) within a stated bound. After SIGTERM the server's `reconnect`
 * frame carries each connection its own retry hint, spread over a window (PROTOCOL.md §
 * reconnect); after SIGKILL there is no hint and the clients' full-jitter backoff alone spreads
 * them. Reconnects are timed from the clients' side (the attempt that reached the new server) and
 * counted from the server's side (its connections_total, exactly one connection per client).
 */
import { createClient, type SluiceClient } from '@sluice/client'
import { afterAll, beforeAll, expect, test } from 'vitest'
import WebSocket from 'ws'
import { checkHistory } from './support/history-check'
import { createPublisher, httpSender, type Publisher } from './support/publisher'
import {
  type ConnectionLog,
  histogram,
  logConnections,
  quantile,
  reconnectAttempt,
  renderHistogram,
} from './support/reconnect-timeline'
import { type RecordedStore, recordedStore } from './support/recorded-store'
import { writeFigures } from './support/reliability-doc'
import { type ServerProcess, type StopSignal, startServerProcess } from './support/server-process'
import { LONG, sized } from './support/sizing'
import { until, within } from './support/wait'

const KEY = 'chaos-publish-key'
const TOPIC = 'storm'
const CLIENTS = sized(2000, 4000)
/** Every SSE_EVERY-th client is SSE-only; the others WebSocket-only. */
const SSE_EVERY = 4
/** Clients are connected in batches of this many, each batch live before the next starts. */
const BATCH = 250
const BIN_MS = 100
/**
 * Asserted: every store resumed within this long after the new server logged "listening". Timed
 * from then, not from the signal: how long a process takes to start depends on the machine's
 * load, not on how clients come back. After SIGTERM the hints end 1 s + max(1 s, 1 ms per
 * client) after the frame (3 s for 2,000 clients). A client still refused by then, or any after
 * SIGKILL, waits at most its backoff ceiling: 8 s for the fifth retry, if its first four all fell
 * while the server was down (ceilings 0.5, 1, 2, 4, 8 s); 2 s more to reconnect and reload.
 */
const RESUME_BOUND_MS = 10_000
/**
 * Asserted: no 100 ms window holds more than this share of the reconnects, as the clients
 * scheduled them. After SIGTERM the server spreads the hints over max(1 s, 1 ms per connection):
 * 2,000 clients over 2 s is 5% a window. After SIGKILL only the clients' full-jitter backoff
 * spreads them, and every first retry falls within the same 500 ms (`backoff.baseMs`): 20% a
 * window, plus up to 10% from the second retries (within 1 s) of those refused while the server
 * was still down. A client without jitter would put them all in one window.
 */
const MAX_WINDOW_SHARE = { SIGTERM: 0.1, SIGKILL: 0.35 } as const satisfies Record<StopSignal, number>

interface Member {
  client: SluiceClient
  transport: 'ws' | 'sse'
  store: RecordedStore
  log: ConnectionLog
}

let server: ServerProcess
let publisher: Publisher
const members: Member[] = []
const figures: string[] = []

beforeAll(async () => {
  server = await startServerProcess(['--publish-key', KEY, '--metrics', '--max-events', '100000'])
  publisher = createPublisher({ topics: [TOPIC], perSecond: 1, send: httpSender(server.url, KEY) })
  for (let start = 0; start < CLIENTS; start += BATCH) {
    const batch: Member[] = []
    for (let i = start; i < Math.min(CLIENTS, start + BATCH); i++) {
      const transport = i % SSE_EVERY === SSE_EVERY - 1 ? 'sse' : 'ws'
      const client = createClient({ url: server.url, WebSocket, transports: [transport] })
      const log = logConnections(client)
      batch.push({ client, transport, log, store: recordedStore(client, TOPIC, `${transport}-${i}`) })
    }
    members.push(...batch)
    await within(
      Promise.all(
        batch.map((m) => until(m.store.sub.$state, (s) => s.status === 'live', m.store.history.name, 60_000)),
      ),
      60_000,
      `clients ${start}..${start + batch.length - 1} live`,
    )
  }
  await publishAndAwait()
}, 180_000)

afterAll(async () => {
  for (const { client } of members) client.close()
  await server?.stop()
}, 60_000)

/** One publish that every store must apply: the fleet is live and in the publisher's epoch. */
async function publishAndAwait() {
  const landing = await within(publisher.publish(TOPIC), 10_000, `a publish on ${TOPIC}`)
  await within(
    Promise.all(
      members.map((m) =>
        until(
          m.store.sub.$state,
          (s) => s.position?.epoch === landing.epoch && s.position.seq >= landing.seq,
          `${m.store.history.name} to apply ${landing.epoch}:${landing.seq}`,
          20_000,
        ),
      ),
    ),
    20_000,
    `every store to apply ${landing.epoch}:${landing.seq}`,
  )
}

/** The server's sluice_connections_total per transport, from its /metrics. */
async function acceptedConnections(): Promise<{ ws: number; sse: number }> {
  const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text()
  const count = (transport: string) => {
    const match = text.match(
      new RegExp(`^sluice_connections_total\\{transport="${transport}"\\} (\\d+)$`, 'm'),
    )
    if (!match) throw new Error(`/metrics has no sluice_connections_total for ${transport}`)
    return Number(match[1])
  }
  return { ws: count('ws'), sse: count('sse') }
}

let restarts = 0

test.each<StopSignal>(['SIGTERM', 'SIGKILL'])(
  `${CLIENTS} clients after a %s restart come back spread out, and all resume within the bound`,
  async (signal) => {
    const before = new Map(members.map((m) => [m, m.store.sub.$state.get().position?.epoch]))
    const resumedAt = new Map<Member, number>()
    const restart = await server.restart(signal)
    restarts++
    await within(
      Promise.all(
        members.map((m) =>
          until(
            m.store.sub.$state,
            (s) => {
              const resumed = s.status === 'live' && s.position?.epoch !== before.get(m)
              if (resumed && !resumedAt.has(m)) resumedAt.set(m, performance.now())
              return resumed
            },
            `${m.store.history.name} to resume`,
            RESUME_BOUND_MS + 5_000,
            (s) => `${s.status} at ${JSON.stringify(s.position)}`,
          ),
        ),
      ),
      RESUME_BOUND_MS + 5_000,
      `${CLIENTS} stores to resume after ${signal}`,
    )
    const killedAt = restart.killedAt
    const reconnects = members.map((m) => reconnectAttempt(m.log, killedAt))
    const made = reconnects.filter((attempt) => attempt !== undefined)
    const attemptsOf = (m: Member) => m.log.attempts.filter((attempt) => attempt.at >= killedAt)
    const attempts = members.flatMap(attemptsOf)
    const mostAttempts = Math.max(...members.map((m) => attemptsOf(m).length))
    const resumeTimes = [...resumedAt.values()].map((time) => time - killedAt)
    // Every reconnect is a retry: scheduled by a hint or the backoff, never at once.
    const scheduled = histogram(
      made.flatMap((attempt) => (attempt.scheduledFor === null ? [] : [attempt.scheduledFor])),
      killedAt,
      BIN_MS,
    )
    const dialled = histogram(
      made.map((attempt) => attempt.at),
      killedAt,
      BIN_MS,
    )
    const peak = Math.max(...scheduled)
    const dialledPeak = Math.max(...dialled)
    const slowest = Math.max(...resumeTimes)
    const sinceListening = slowest - (restart.listeningAt - killedAt)

    // Server side: each client reconnected exactly once, on its own transport.
    const sse = members.filter((m) => m.transport === 'sse').length
    expect(await acceptedConnections()).toEqual({ ws: CLIENTS - sse, sse })
    expect(made).toHaveLength(CLIENTS)
    expect(made.filter((attempt) => attempt.scheduledFor === null)).toEqual([])
    await publishAndAwait()
    for (const m of members) {
      const verdict = checkHistory(m.store.history, publisher.truth.get(TOPIC) as never)
      expect(verdict.violations).toEqual([])
      expect(verdict.resyncs).toEqual(Array(restarts).fill('epoch_changed'))
    }

    const share = (count: number) => `${((100 * count) / CLIENTS).toFixed(1)}%`
    const report = [
      `${signal}: ${CLIENTS} clients (${CLIENTS - sse} WebSocket, ${sse} SSE only); the new server listened ` +
        `${Math.round(restart.listeningAt - killedAt)} ms after the signal. ${attempts.length} connect attempts ` +
        `(${attempts.length - CLIENTS} refused while it was down; at most ${mostAttempts} by one client), ` +
        `${CLIENTS} reconnects. Scheduled: at most ` +
        `${peak} (${share(peak)}) in one ${BIN_MS} ms window (bound ${MAX_WINDOW_SHARE[signal] * 100}%); dialled: at most ` +
        `${dialledPeak} (${share(dialledPeak)}). Stores resumed: median ${Math.round(quantile(resumeTimes, 0.5))} ms, ` +
        `p99 ${Math.round(quantile(resumeTimes, 0.99))} ms, all ${Math.round(slowest)} ms after the signal, ` +
        `${Math.round(sinceListening)} ms after the new server listened (bound ${RESUME_BOUND_MS} ms).`,
      '',
      `Reconnects per ${BIN_MS} ms after the signal (the attempt that reached the new server), as scheduled by the clients:`,
      '',
      '```text',
      renderHistogram(scheduled, BIN_MS, { skipLeadingEmpty: true }),
      '```',
      '',
      'and as dialled by this one process:',
      '',
      '```text',
      renderHistogram(dialled, BIN_MS, { skipLeadingEmpty: true }),
      '```',
    ].join('\n')
    console.log(report)
    figures.push(report)
    expect(peak / CLIENTS).toBeLessThanOrEqual(MAX_WINDOW_SHARE[signal])
    expect(sinceListening).toBeLessThanOrEqual(RESUME_BOUND_MS)
    if (LONG && figures.length === 2) writeFigures('reconnect-storm', figures.join('\n\n'))
  },
  sized(60_000, 120_000),
)
