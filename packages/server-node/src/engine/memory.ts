import { randomBytes } from 'node:crypto'
import type { EventFrame, PresenceMember } from '@sluice/protocol'
import { DedupWindow } from './dedup-window'
import type {
  AppendResult,
  DedupOptions,
  Engine,
  EngineListener,
  EventInput,
  IdentityMessage,
  LogHead,
  ReadResult,
  RetentionPolicy,
} from './types'

export interface MemoryEngineOptions {
  /** Events kept per topic; older ones are evicted and a resume from before them resyncs. @default 1000 */
  maxEvents?: number
  /** Age after which an event is evicted, in ms. @default 600_000 (10 minutes) */
  maxAgeMs?: number
  /**
   * Topic logs kept; past it the least recently written log is dropped (its subscribers
   * resync with `epoch_changed` when they resume). @default 10_000
   */
  maxTopics?: number
  /** Clock, for tests. @default Date.now */
  now?: () => number
}

/** The memory engine: every method answers synchronously. */
export interface MemoryEngine extends Engine {
  append(topic: string, event: EventInput, dedup?: DedupOptions): AppendResult
  head(topic: string): LogHead
  readAfter(topic: string, from: { epoch: string; seq: number }): ReadResult
  presence(topic: string): PresenceMember[]
  setPresence(topic: string, member: PresenceMember): void
  removePresence(topic: string, connectionId: string): void
  sendToIdentity(identityId: string, message: IdentityMessage): void
  watch(topic: string): void
  hold(topic: string): () => void
  configureRetention(policy: RetentionPolicy): void
  close(): void
}

/** A short random log name: 12 base64url characters, within the protocol's EPOCH_PATTERN. */
export function createEpoch(): string {
  return randomBytes(9).toString('base64url')
}

// A fixed-capacity ring of the newest events of one topic. Seqs are contiguous, so the
// event with seq s sits at offset s - first.
class TopicLog {
  readonly epoch = createEpoch()
  private readonly ring: Array<EventFrame | undefined>
  private start = 0
  private size = 0
  head = 0

  constructor(
    private readonly capacity: number,
    readonly maxAgeMs: number,
  ) {
    this.ring = new Array(capacity)
  }

  get oldestSeq(): number {
    return this.head - this.size + 1
  }

  push(event: EventFrame): void {
    this.head = event.seq
    if (this.size < this.capacity) {
      this.ring[(this.start + this.size) % this.capacity] = event
      this.size++
    } else {
      this.ring[this.start] = event
      this.start = (this.start + 1) % this.capacity
    }
  }

  evictOlderThan(cutoffTs: number): void {
    while (this.size > 0) {
      const first = this.ring[this.start] as EventFrame
      if (first.ts >= cutoffTs) return
      this.ring[this.start] = undefined
      this.start = (this.start + 1) % this.capacity
      this.size--
    }
  }

  after(seq: number): EventFrame[] {
    const out: EventFrame[] = []
    for (let s = Math.max(seq + 1, this.oldestSeq); s <= this.head; s++) {
      out.push(this.ring[(this.start + (s - this.oldestSeq)) % this.capacity] as EventFrame)
    }
    return out
  }
}

/**
 * The default engine: topic logs as bounded rings in this process's memory, presence in a
 * map, listeners called synchronously. Every restart starts new epochs, so clients resuming
 * across a restart get `resync` with `epoch_changed` rather than a silent gap. One node only.
 *
 * @example
 * const sluice = createSluiceServer({ engine: createMemoryEngine({ maxEvents: 5000 }) })
 */
export function createMemoryEngine(options: MemoryEngineOptions = {}): MemoryEngine {
  const { maxEvents = 1000, maxAgeMs = 600_000, maxTopics = 10_000, now = () => Date.now() } = options
  if (!Number.isInteger(maxEvents) || maxEvents < 1)
    throw new RangeError('maxEvents must be a positive integer')
  const logs = new Map<string, TopicLog>()
  const presence = new Map<string, Map<string, PresenceMember>>()
  const listeners = new Set<EngineListener>()
  const dedup = new DedupWindow(now)
  let retention: RetentionPolicy = () => undefined

  const logOf = (topic: string): TopicLog => {
    let log = logs.get(topic)
    if (!log) {
      const kept = retention(topic)
      log = new TopicLog(kept?.maxEvents ?? maxEvents, kept?.maxAgeMs ?? maxAgeMs)
      logs.set(topic, log)
      if (logs.size > maxTopics) {
        const oldest = logs.keys().next().value as string
        logs.delete(oldest)
      }
    }
    return log
  }

  const emit = <K extends keyof EngineListener>(
    method: K,
    ...args: Parameters<NonNullable<EngineListener[K]>>
  ): void => {
    for (const listener of listeners) (listener[method] as (...a: typeof args) => void)(...args)
  }

  return {
    append(topic: string, input: EventInput, options?: DedupOptions): AppendResult {
      const log = logOf(topic)
      if (options !== undefined) {
        const known = dedup.get(topic, options)
        if (known) return { duplicate: true, epoch: known.epoch, seq: known.seq }
      }
      // Re-inserting keeps the Map in least-recently-written order for maxTopics eviction.
      logs.delete(topic)
      logs.set(topic, log)
      const event: EventFrame = { type: 'event', topic, epoch: log.epoch, seq: log.head + 1, ...input }
      log.push(event)
      log.evictOlderThan(now() - log.maxAgeMs)
      if (options !== undefined) dedup.remember(topic, options, event)
      emit('event', event)
      return { duplicate: false, event }
    },
    head(topic: string): LogHead {
      const log = logOf(topic)
      return { epoch: log.epoch, seq: log.head }
    },
    readAfter(topic, from): ReadResult {
      const log = logOf(topic)
      const { epoch, head } = log
      if (from.epoch !== epoch) return { ok: false, reason: 'epoch_changed', epoch, head }
      if (from.seq > head) return { ok: false, reason: 'ahead', epoch, head }
      log.evictOlderThan(now() - log.maxAgeMs)
      if (from.seq < log.oldestSeq - 1) return { ok: false, reason: 'too_old', epoch, head }
      return { ok: true, epoch, head, events: log.after(from.seq) }
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    setPresence(topic, member) {
      let members = presence.get(topic)
      if (!members) {
        members = new Map()
        presence.set(topic, members)
      }
      const action = members.has(member.connectionId) ? 'update' : 'join'
      members.set(member.connectionId, member)
      emit('presence', { topic, action, member })
    },
    removePresence(topic, connectionId) {
      const members = presence.get(topic)
      const member = members?.get(connectionId)
      if (!members || !member) return
      members.delete(connectionId)
      if (members.size === 0) presence.delete(topic)
      emit('presence', { topic, action: 'leave', member })
    },
    presence(topic) {
      return [...(presence.get(topic)?.values() ?? [])]
    },
    sendToIdentity(identityId: string, message: IdentityMessage) {
      emit('identity', identityId, message)
    },
    // One process: every event reaches the listeners synchronously, and the Publisher's own
    // hold is the only one there is.
    watch() {},
    unwatch() {},
    hold: () => () => {},
    status: () => 'up',
    configureRetention(policy) {
      // Logs already created keep their ring; a policy is set once, before the first append.
      retention = policy
    },
    close() {
      listeners.clear()
    },
  }
}
