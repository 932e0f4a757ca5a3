/**
 * A paced publisher of numbered events, one sequential stream per topic, that keeps the truth
 * the history check compares stores with: every id sent, and where the server acknowledged
 * each. A publish that fails (connection refused or reset while the server restarts, 503 while
 * it drains) is sent again with the same id until acknowledged, as a backend should: within one
 * server life the retry is answered as a duplicate; after a restart the log and its dedup window
 * are gone, so a publish whose first acknowledgement was lost may land again in the new epoch.
 *
 * Two ways to send: over HTTP with a publish key (`httpSender`, the backend's way) and through
 * the client API (`clientSender`, which queues while disconnected and resends with the same id
 * after each reconnect).
 */
import type { SluiceClient } from '@sluice/client'
import type { TopicTruth } from './history-check'
import type { TestItem } from './recorded-store'
import { Signal } from './wait'

/** Where the server put one publish. */
export interface Landing {
  epoch: string
  seq: number
  duplicate: boolean
}

/** Sends one publish; resolves with its landing, or rejects when it may be retried. */
export type Sender = (topic: string, item: TestItem) => Promise<Landing>

/** A failure no retry can fix (a refused key, a malformed body): the run stops on it. */
export class FatalPublishError extends Error {
  override readonly name = 'FatalPublishError'
}

// Between attempts while the server is down: short, so the first publish of a new life is not
// held back much, and enough to keep a refused connect from spinning a core.
const RETRY_MS = 20
const REQUEST_TIMEOUT_MS = 10_000

/** POST <url>/publish with `key`: 200 is an ack, 503 (draining) or a network error retryable. */
export function httpSender(url: string, key: string): Sender {
  return async (topic, item) => {
    const response = await fetch(`${url}/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ topic, kind: 'created', key: item.id, data: item, id: item.id }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
    const text = await response.text()
    if (response.status === 503) throw new Error(`publish ${item.id}: 503 ${text}`)
    if (response.status !== 200) {
      throw new FatalPublishError(`publish ${item.id} to ${topic}: HTTP ${response.status} ${text}`)
    }
    const body = JSON.parse(text) as { epoch: string; seq: number; duplicate: boolean }
    return { epoch: body.epoch, seq: body.seq, duplicate: body.duplicate }
  }
}

/** `client.publish` with the item's id: the client itself resends it after reconnects. */
export function clientSender(client: SluiceClient): Sender {
  return async (topic, item) => {
    try {
      return await client.publish(
        topic,
        { kind: 'created', key: item.id, data: { ...item } },
        { id: item.id },
      )
    } catch (error) {
      // Refused by the server (e.g. FORBIDDEN without a rule allowing client publishes): no retry helps.
      const code = (error as { code?: string }).code
      if (code === 'FORBIDDEN' || code === 'BAD_REQUEST' || code === 'UNAUTHORIZED') {
        throw new FatalPublishError(
          `client publish ${item.id} to ${topic}: ${code} ${(error as Error).message}`,
        )
      }
      throw error
    }
  }
}

export interface Publisher {
  /** The truth per topic, for the history check. */
  readonly truth: Map<string, TopicTruth>
  /** Notified on every acknowledgement. */
  readonly acked: Signal
  /** Attempts that failed and were retried. */
  retries: number
  /** Publishes acknowledged (duplicates included: each id once). */
  count(): number
  /** Acknowledged publishes of `topic` in `epoch`. */
  countIn(topic: string, epoch: string): number
  /** The epoch of `topic`'s latest acknowledgement. */
  lastEpoch(topic: string): string | undefined
  /** Starts the paced streams. */
  start(): void
  /** Stops the streams once each has its publish in flight acknowledged; rejects with the first fatal error. */
  stop(): Promise<void>
  /** One more publish on `topic`, retried until acknowledged (the streams must be stopped). */
  publish(topic: string): Promise<Landing & { id: string }>
}

/**
 * Publishes to each of `topics` at `perSecond` events a second (each stream waits for its ack
 * before the next, so a slow or absent server slows it down rather than piling up requests).
 * Ids are `${prefix}${topic}#${n}`.
 */
export function createPublisher(options: {
  topics: string[]
  perSecond: number
  send: Sender
  prefix?: string
}): Publisher {
  const { topics, perSecond, send, prefix = '' } = options
  const truth = new Map<string, TopicTruth>(
    topics.map((topic) => [topic, { epochs: [], acked: new Map(), ackedAt: new Map(), sent: new Set() }]),
  )
  const next = new Map(topics.map((topic) => [topic, 1]))
  const perEpoch = new Map<string, number>()
  const acked = new Signal()
  let total = 0
  let running = false
  let streams: Promise<void>[] = []

  async function publishOne(topic: string) {
    const record = truth.get(topic) as TopicTruth
    const n = next.get(topic) as number
    next.set(topic, n + 1)
    const item: TestItem = { id: `${prefix}${topic}#${n}`, n }
    record.sent.add(item.id)
    for (;;) {
      try {
        const landing = await send(topic, item)
        const position = `${landing.epoch}:${landing.seq}`
        if (!record.epochs.includes(landing.epoch)) record.epochs.push(landing.epoch)
        const holder = record.acked.get(position)
        if (holder !== undefined && holder !== item.id) {
          throw new FatalPublishError(
            `${item.id} acknowledged at ${position}, where ${holder} was acknowledged`,
          )
        }
        record.acked.set(position, item.id)
        record.ackedAt.set(item.id, position)
        const key = `${topic}\u0000${landing.epoch}`
        perEpoch.set(key, (perEpoch.get(key) ?? 0) + 1)
        total++
        acked.notify()
        return { ...landing, id: item.id }
      } catch (error) {
        if (error instanceof FatalPublishError) throw error
        publisher.retries++
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS))
      }
    }
  }

  async function stream(topic: string) {
    const interval = (1000 * topics.length) / perSecond
    let due = performance.now()
    while (running) {
      const wait = due - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      if (!running) return
      await publishOne(topic)
      // Behind schedule after an outage: go on at the pace, not in a burst that catches up.
      due = Math.max(due + interval, performance.now())
    }
  }

  const publisher: Publisher = {
    truth,
    acked,
    retries: 0,
    count: () => total,
    countIn: (topic, epoch) => perEpoch.get(`${topic}\u0000${epoch}`) ?? 0,
    lastEpoch: (topic) => truth.get(topic)?.epochs.at(-1),
    start() {
      running = true
      streams = topics.map((topic) => stream(topic))
      // A fatal error fails whatever waits on acknowledgements, and stop() rejects with it.
      for (const s of streams) s.catch((error: Error) => acked.fail(error))
    },
    async stop() {
      running = false
      await Promise.all(streams)
    },
    publish: (topic) => publishOne(topic),
  }
  return publisher
}
