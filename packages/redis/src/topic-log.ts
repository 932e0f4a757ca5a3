import { randomBytes } from 'node:crypto'
import type {
  AppendResult,
  DedupOptions,
  EventInput,
  LogHead,
  ReadResult,
  RetentionPolicy,
} from '@sluice/server-node'
import { HeldAppends } from './held-appends'
import { topicKeys } from './keys'
import type { RedisLink } from './redis-link'
import { APPEND, HEAD, HOLD, READ, RELEASE } from './scripts'
import { encodeBody, eventFrame } from './wire'

export interface TopicLogOptions {
  prefix: string
  nodeId: string
  maxEvents: number
  maxAgeMs: number
  /** Per-topic retention set by the server's rules; the two defaults above elsewhere. */
  retention: { policy: RetentionPolicy }
  topicTtlMs: number
  pageSize: number
  holdLeaseMs: number
  holdPollMs: number
  now(): number
  /** The newest position this node delivered of a topic, if it watches it (the epoch check uses it). */
  known(topic: string): { epoch: string; seq: number } | undefined
  report(error: unknown, operation: string, topic?: string): void
}

/** A short random log name: 12 base64url characters, within the protocol's EPOCH_PATTERN. */
const createEpoch = () => randomBytes(9).toString('base64url')

/**
 * The topic logs in Redis: appends (with dedup and snapshot holds), heads, paged reads, and the
 * holds themselves. Every call is one Lua script (scripts.ts), which checks the epoch first.
 */
export function createTopicLog(link: RedisLink, options: TopicLogOptions) {
  const { prefix, nodeId, maxEvents, maxAgeMs, topicTtlMs, pageSize, holdLeaseMs } = options
  const held = new HeldAppends(options.holdPollMs)
  let appendOrder = 0

  /**
   * ARGV[1..7] of every log script (see PRELUDE in scripts.ts).
   * @param kept the topic's retention, when the caller looked it up already (an append needs it twice)
   */
  const logArgs = (topic: string, kept = options.retention.policy(topic)): string[] => {
    const known = options.known(topic)
    return [
      ...link.vouching,
      createEpoch(),
      known?.epoch ?? '',
      String(known?.seq ?? 0),
      String(options.now() - (kept?.maxAgeMs ?? maxAgeMs)),
      String(topicTtlMs),
    ]
  }

  const append = (topic: string, input: EventInput, dedup?: DedupOptions): Promise<AppendResult> => {
    const keys = topicKeys(prefix, topic)
    const body = encodeBody(input)
    const order = ++appendOrder
    const what = `publish to ${topic} was not applied`
    const dedupKey = dedup === undefined ? keys.meta : keys.dedup(dedup.key)
    // Looked up once per publish: the rules' patterns are matched here, on the hot path.
    const kept = options.retention.policy(topic)
    const keptEvents = String(kept?.maxEvents ?? maxEvents)
    return new Promise<AppendResult>((resolve, reject) => {
      const send = (retry: boolean) => {
        const args = [
          ...logArgs(topic, kept),
          body,
          String(input.ts),
          keptEvents,
          dedup === undefined ? '0' : String(Math.max(1, dedup.windowMs)),
          keys.channel,
          retry ? '1' : '0',
          String(holdLeaseMs),
        ]
        link
          .run(APPEND, [keys.meta, keys.log, keys.hold, keys.held(nodeId), dedupKey], args, what, topic)
          .then((reply) => {
            const [status, first, second] = reply as [string, string, number]
            if (status === 'ok') {
              resolve({
                duplicate: false,
                event: { type: 'event', topic, epoch: first, seq: Number(second), ...input },
              })
            } else if (status === 'dup') {
              const at = first.lastIndexOf(':')
              resolve({ duplicate: true, epoch: first.slice(0, at), seq: Number(first.slice(at + 1)) })
            } else if (link.closed) {
              reject(link.unavailable(what, topic))
            } else {
              held.add(topic, { order, send, fail: reject })
            }
          }, reject)
      }
      // Behind appends that another node's snapshot hold refused: they go first, in order.
      if (held.has(topic)) held.add(topic, { order, send, fail: reject })
      else send(false)
    })
  }

  const head = async (topic: string): Promise<LogHead> => {
    const keys = topicKeys(prefix, topic)
    const reply = await link.run(
      HEAD,
      [keys.meta, keys.log],
      logArgs(topic),
      `reading ${topic} failed`,
      topic,
    )
    const [epoch, seq] = reply as [string, number]
    return { epoch, seq: Number(seq) }
  }

  const readAfter = async (topic: string, from: { epoch: string; seq: number }): Promise<ReadResult> => {
    const keys = topicKeys(prefix, topic)
    const events = []
    let after = from.seq
    // Page by page: the log is bounded by maxEvents, one read of it need not be.
    for (;;) {
      const reply = (await link.run(
        READ,
        [keys.meta, keys.log],
        [...logArgs(topic), from.epoch, String(after), String(pageSize)],
        `reading ${topic} failed`,
        topic,
      )) as [string, string, number, Array<[string, string[]]>?]
      const [status, epoch, rawHead, entries = []] = reply
      const headSeq = Number(rawHead)
      if (status !== 'ok') {
        return { ok: false, reason: status as 'too_old' | 'epoch_changed' | 'ahead', epoch, head: headSeq }
      }
      for (const [id, fields] of entries) {
        const seq = Number.parseInt(id, 10)
        events.push(eventFrame(topic, epoch, seq, fields[3] as string))
        after = seq
      }
      if (entries.length < pageSize || after >= headSeq)
        return { ok: true, epoch, head: Math.max(headSeq, after), events }
    }
  }

  const hold = async (topic: string): Promise<() => void> => {
    const keys = topicKeys(prefix, topic)
    await link.run(HOLD, [keys.hold], [String(holdLeaseMs)], `holding ${topic} for a snapshot failed`, topic)
    let released = false
    return () => {
      if (released) return
      released = true
      // A release that fails ends with the hold's lease.
      link
        .run(RELEASE, [keys.hold], [], `releasing ${topic}`, topic)
        .catch((error) => options.report(error, 'release', topic))
    }
  }

  return {
    append,
    head,
    readAfter,
    hold,
    /** Fails the appends still waiting behind a hold. */
    close: () => held.close(link.unavailable('the engine closed')),
  }
}
