import { type ConnectionState, inspect, type SluiceClient } from '@sluice/client'
import type { ClientFrame, PresenceMember, ServerFrame } from '@sluice/protocol'

/** One row of a topic's log: a frame of that topic, as received. */
export interface TopicLogEntry {
  /** When it arrived (ms since the Unix epoch). */
  at: number
  type: 'subscribed' | 'event' | 'snapshot' | 'resync' | 'unsubscribed' | 'presence'
  /** The log position the frame carries (events, snapshots, resyncs, subscribed). */
  epoch?: string
  seq?: number
  /** Event kind, or presence action (`sync`, `join`, `update`, `leave`). */
  kind?: string
  key?: string
  /** A resync's reason, a `subscribed` frame's announced resync, or an `unsubscribed` reason. */
  reason?: string
  /** The payload as short JSON (event data, snapshot data, presence member). */
  preview?: string
}

/** What the recorder knows of one topic. */
export interface TopicRecord {
  topic: string
  /** The last position a frame of the topic carried; null before any. */
  position: { epoch: string; seq: number } | null
  /** The newest rows last, at most `limit`. */
  log: TopicLogEntry[]
  /** Events received since recording began (the log keeps only the newest). */
  events: number
  resyncs: number
  /** Presence members by connection id, as the last sync and the changes since say. */
  presence: PresenceMember[]
}

/** One connection state, as `client.$connection` held it. */
export interface ConnectionRecord {
  at: number
  status: ConnectionState['status']
  transport: ConnectionState['transport']
  attempt: number
  nextRetryAt: number | null
  error: { code: string; message: string } | null
}

/** A command the client sent (or queued) that carries an id. */
export interface CommandRecord {
  id: string
  /** The frame type: subscribe, unsubscribe, publish, call, presence, history, ping, auth; `queued` when no frame left yet. */
  type: string
  /** The topic, procedure name or nothing (ping, auth). */
  subject: string | null
  /** When its frame was last sent; null while it waits for a connection. */
  sentAt: number | null
  /** How often its frame was sent (a publish is sent again, same id, after a reconnect). */
  sends: number
  /** Set once answered or given up: the answer's type (`ack`, `result`, `subscribed`, `error CODE`...) or `no answer`. */
  outcome?: string
  settledAt?: number
}

/** Everything recorded, newest last in each list. */
export interface RecorderSnapshot {
  topics: TopicRecord[]
  connection: ConnectionRecord[]
  /** The commands the client is awaiting answers to, oldest first. */
  pending: CommandRecord[]
  /** The last settled commands. */
  settled: CommandRecord[]
}

/** Options of {@link recordClient}. */
export interface RecorderOptions {
  /** Rows kept per topic log, connection timeline and settled commands. @default 200 */
  limit?: number
}

/** What {@link recordClient} returns. */
export interface Recorder {
  /** What was recorded so far; a new object per call. */
  snapshot(): RecorderSnapshot
  /** Calls `listener` after every recorded change (synchronously: coalesce renders yourself). */
  subscribe(listener: () => void): () => void
  /** Forgets the logs and the settled commands (positions, presence and pending stay). */
  clear(): void
  /** Stops recording. */
  stop(): void
}

const PREVIEW_CHARS = 120
// The frames that make a topic's log (a publish's ack or a history page answer a command).
const TOPIC_FRAMES = new Set(['subscribed', 'event', 'snapshot', 'resync', 'unsubscribed', 'presence'])
type TopicFrame = Extract<ServerFrame, { type: TopicLogEntry['type'] }>

const preview = (value: unknown): string | undefined => {
  if (value === undefined) return undefined
  const text = JSON.stringify(value)
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text
}

const push = <T>(list: T[], item: T, limit: number) => {
  list.push(item)
  if (list.length > limit) list.splice(0, list.length - limit)
}

/**
 * Records what a client does, for a devtools view: per topic its frames with their positions
 * (resyncs with their reasons) and its presence, the connection's states, and the commands
 * awaiting answers. It watches through `inspect()` of `@sluice/client`, from the moment it is
 * called: create it right after the client to see the first subscribes.
 *
 * @example
 * import { createClient } from '@sluice/client'
 * import { recordClient } from '@sluice/devtools/recorder'
 *
 * const client = createClient({ url: 'https://example.com/realtime' })
 * const recorder = recordClient(client)
 * recorder.subscribe(() => console.debug(recorder.snapshot().pending))
 * @param client the client to watch
 * @param options how much to keep
 * @returns the recorder; `stop()` detaches it
 */
export function recordClient(
  client: Pick<SluiceClient, '$connection'>,
  { limit = 200 }: RecorderOptions = {},
): Recorder {
  const topics = new Map<string, TopicRecord & { members: Map<string, PresenceMember> }>()
  const connection: ConnectionRecord[] = []
  const commands = new Map<string, CommandRecord>()
  let settled: CommandRecord[] = []
  // Answered ids the client may still list as awaited: the recorder sees a frame before the
  // client handles it, so a listener called for an answer would otherwise see it pending.
  const answered = new Set<string>()
  const listeners = new Set<() => void>()
  const changed = () => {
    for (const listener of listeners) listener()
  }

  const topicOf = (topic: string) => {
    let record = topics.get(topic)
    if (!record) {
      record = { topic, position: null, log: [], events: 0, resyncs: 0, presence: [], members: new Map() }
      topics.set(topic, record)
    }
    return record
  }

  const settle = (command: CommandRecord, outcome: string) => {
    commands.delete(command.id)
    command.outcome = outcome
    command.settledAt = Date.now()
    push(settled, command, limit)
  }

  const topicFrame = (frame: TopicFrame, at: number) => {
    const record = topicOf(frame.topic)
    const entry: TopicLogEntry = { at, type: frame.type }
    switch (frame.type) {
      case 'event':
        Object.assign(entry, { kind: frame.kind, key: frame.key, preview: preview(frame.data) })
        record.events++
        break
      case 'snapshot':
        entry.preview = preview(frame.data)
        break
      case 'resync':
        entry.reason = frame.reason
        record.resyncs++
        break
      case 'subscribed':
        entry.reason = frame.resync
        break
      case 'unsubscribed':
        entry.reason = frame.reason
        break
      case 'presence':
        entry.kind = frame.action
        if (frame.action === 'sync') {
          record.members = new Map(frame.members.map((member) => [member.connectionId, member]))
          entry.preview = `${frame.members.length} members`
        } else {
          if (frame.action === 'leave') record.members.delete(frame.member.connectionId)
          else record.members.set(frame.member.connectionId, frame.member)
          entry.key = frame.member.connectionId
          entry.preview = preview(frame.member.state)
        }
        record.presence = [...record.members.values()]
        break
    }
    if (frame.type !== 'presence' && frame.type !== 'unsubscribed') {
      entry.epoch = frame.epoch
      entry.seq = frame.seq
      record.position = { epoch: frame.epoch, seq: frame.seq }
    }
    push(record.log, entry, limit)
  }

  const handle = inspect(client, {
    received(frame) {
      const at = Date.now()
      const id = 'id' in frame ? frame.id : undefined
      if (id !== undefined) {
        const command = commands.get(id)
        if (command) settle(command, frame.type === 'error' ? `error ${frame.code}` : frame.type)
        answered.add(id)
      }
      // A `subscribed` is both the answer to a subscribe and the start of the topic's flow.
      if (TOPIC_FRAMES.has(frame.type)) topicFrame(frame as TopicFrame, at)
      changed()
    },
    sent(frame: ClientFrame) {
      if (!('id' in frame) || typeof frame.id !== 'string') return
      const subject = 'topic' in frame ? frame.topic : 'name' in frame ? frame.name : null
      const command = commands.get(frame.id) ?? {
        id: frame.id,
        type: frame.type,
        subject,
        sentAt: null,
        sends: 0,
      }
      answered.delete(frame.id)
      command.sentAt = Date.now()
      command.sends++
      commands.set(frame.id, command)
      changed()
    },
    connection(state) {
      const { status, transport, attempt, nextRetryAt, error } = state
      push(
        connection,
        {
          at: Date.now(),
          status,
          transport,
          attempt,
          nextRetryAt,
          error: error ? { code: error.code, message: error.message } : null,
        },
        limit,
      )
      changed()
    },
  })

  return {
    snapshot() {
      const listed = handle.pending()
      const awaited = new Set(listed)
      for (const id of answered) {
        if (!awaited.has(id)) answered.delete(id)
      }
      const waiting = listed.filter((id) => !answered.has(id))
      // A command the client no longer awaits, unanswered: timed out, given up, or forgotten
      // with the connection that carried it (subscribes are sent again with new ids).
      for (const command of [...commands.values()]) {
        if (!awaited.has(command.id)) settle(command, 'no answer')
      }
      return {
        topics: [...topics.values()].map(({ members: _, ...record }) => ({
          ...record,
          log: [...record.log],
        })),
        connection: [...connection],
        pending: waiting.map(
          (id) => commands.get(id) ?? { id, type: 'queued', subject: null, sentAt: null, sends: 0 },
        ),
        settled: [...settled],
      }
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    clear() {
      for (const record of topics.values()) record.log = []
      settled = []
      changed()
    },
    stop() {
      handle.detach()
      listeners.clear()
    },
  }
}
