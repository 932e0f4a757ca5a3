import {
  compileFilter,
  type Json,
  type PresenceMember,
  type ResyncReason,
  type ServerFrame,
  type SubscribedFrame,
  type SubscribeFrame,
  type UnsubscribeFrame,
} from '@sluice/protocol'
import type { Identity } from '../identity'
import { ServerError } from '../server-error'
import { authorizeTopic } from './authorize'
import type { Connection } from './connection'
import { readHistoryPage } from './history-page'
import { Subscription } from './subscription'

/**
 * The subscribe command. The subscription joins the hub before its start position is read, so
 * events published while the engine or the snapshot provider is awaited queue behind the replay
 * instead of being lost; see {@link Subscription} for the seam rule.
 *
 * Frames, in order (PROTOCOL.md § Subscribe flows): `subscribed` (always, with the head), then
 * one of: replayed (or rewound) events; `resync` (+ `snapshot` when asked for and available);
 * `snapshot`; nothing. Then the `presence` sync when asked, then live events.
 */
export async function subscribe(connection: Connection, frame: SubscribeFrame): Promise<void> {
  const { runtime } = connection
  const { topic } = frame
  const existing = connection.subscriptions.get(topic)
  const max = runtime.options.limits.maxSubscriptions
  // The slot is taken before the first await: subscribes pipelined in one batch, or sent while
  // an earlier one is still being authorized, must not all see room for themselves.
  if (!existing && connection.subscriptions.size + connection.subscribing >= max) {
    throw new ServerError('LIMIT_EXCEEDED', `a connection may hold at most ${max} subscriptions`, { topic })
  }
  if (frame.presence === true && !runtime.options.rules.presenceOn(topic)) {
    throw new ServerError('FORBIDDEN', `presence is off for ${topic}`, { topic })
  }
  if (!existing) connection.subscribing++
  try {
    // An auth refresh may land while authorize runs: decide with the identity that holds after it.
    let identity: Identity | null
    do {
      identity = connection.identity
      await authorizeTopic(runtime, identity, topic, 'subscribe', connection.id)
    } while (identity !== connection.identity)
  } finally {
    if (!existing) connection.subscribing--
  }
  if (connection.state !== 'open') return
  if (existing) {
    // Re-subscribing replaces the options; the old subscription ends without an unsubscribed frame.
    existing.close()
    runtime.hub.remove(existing)
  }
  const subscription = new Subscription(
    connection,
    topic,
    frame.filter ? compileFilter(frame.filter) : null,
    frame.presence === true,
  )
  connection.subscriptions.set(topic, subscription)
  runtime.hub.add(subscription)
  try {
    // The engine delivers the topic's events here before the start position is read.
    const watching = runtime.hub.ready(topic)
    if (watching !== undefined) {
      await watching
      if (subscription.state === 'closed') return
    }
    await start(connection, subscription, frame)
  } catch (error) {
    discard(connection, subscription)
    throw error
  }
  if (subscription.state !== 'live') return
  if (runtime.hasHook('onSubscribe')) runtime.runHook('onSubscribe', connection.info(), topic)
}

function discard(connection: Connection, subscription: Subscription): void {
  subscription.close()
  connection.runtime.hub.remove(subscription)
  if (connection.subscriptions.get(subscription.topic) === subscription) {
    connection.subscriptions.delete(subscription.topic)
  }
}

/**
 * The frame that opens a flow. It says what follows (PROTOCOL.md § subscribed): `resync` with
 * the reason of the resync frame that comes next, `snapshot: true` when a snapshot comes, so the
 * client knows whether the subscription is live without waiting to see what arrives.
 */
function subscribed(
  frame: SubscribeFrame,
  epoch: string,
  seq: number,
  resync: ResyncReason | null,
  snapshot = false,
): SubscribedFrame {
  const out: SubscribedFrame = { type: 'subscribed', topic: frame.topic, epoch, seq }
  if (frame.id !== undefined) out.id = frame.id
  if (resync) out.resync = resync
  if (snapshot) out.snapshot = true
  return out
}

/**
 * Flow 6 (PROTOCOL.md § Subscribe flows): the last `count` events of the log, then live ones.
 * `subscribed.rewind` says how many positions are replayed, so a log holding fewer (young, or
 * its ring evicted them) is told, never cut silently.
 */
async function rewind(
  connection: Connection,
  subscription: Subscription,
  frame: SubscribeFrame,
  count: number,
): Promise<void> {
  const { engine } = connection.runtime
  const { topic } = frame
  const head = await engine.head(topic)
  if (closed(subscription)) return
  let start = Math.max(0, head.seq - count)
  let read = await engine.readAfter(topic, { epoch: head.epoch, seq: start })
  if (closed(subscription)) return
  if (!read.ok && read.reason === 'too_old') {
    // The ring starts after `start`: deliver what it still holds, from its oldest event.
    const page = await readHistoryPage(engine, topic, undefined, Number.MAX_SAFE_INTEGER)
    if (closed(subscription)) return
    const first = page.events[0]
    start = first === undefined ? page.head : first.seq - 1
    read =
      page.resync === undefined
        ? { ok: true, epoch: page.epoch, head: page.head, events: page.events }
        : { ok: false, reason: page.resync, epoch: page.epoch, head: page.head }
  }
  subscription.positionRead()
  // The log was replaced between the reads: it holds nothing this subscribe has seen, so it
  // starts at the new head with nothing rewound, which `rewind: 0` says.
  let events = read.ok ? read.events : []
  if (!read.ok) start = read.head
  // Publishes that landed between the head read and the log read would make the replay longer
  // than asked: keep the last `count`.
  if (read.head - start > count) {
    start = read.head - count
    events = events.filter((event) => event.seq > start)
  }
  const out = subscribed(frame, read.epoch, read.head, null)
  out.rewind = read.head - start
  connection.writer.position?.(topic, { epoch: read.epoch, seq: start })
  connection.sendFrame(out)
  subscription.epoch = read.epoch
  subscription.lastSeq = start
  subscription.replay(events)
  await goLive(connection, subscription, read.epoch, read.head)
}

// A function, not an inline test: TypeScript keeps a property's narrowing across awaits, and
// a subscription can close during any of them.
function closed(subscription: Subscription): boolean {
  return subscription.state === 'closed'
}

async function start(
  connection: Connection,
  subscription: Subscription,
  frame: SubscribeFrame,
): Promise<void> {
  const { engine, options, publisher } = connection.runtime
  const { topic, from } = frame
  const mode = frame.snapshot ?? 'never'
  const provider = options.snapshot
  let resync: ResyncReason | null = null

  if (from) {
    const read = await engine.readAfter(topic, from)
    if (subscription.state === 'closed') return
    subscription.positionRead()
    // A replay needs no snapshot, whatever `snapshot` says: the client's state plus the replay is current.
    if (read.ok) {
      connection.sendFrame(subscribed(frame, read.epoch, read.head, null))
      subscription.epoch = read.epoch
      subscription.lastSeq = from.seq
      subscription.replay(read.events)
      await goLive(connection, subscription, read.epoch, read.head)
      return
    }
    resync = read.reason
  } else if (frame.rewind !== undefined && frame.rewind > 0) {
    await rewind(connection, subscription, frame, frame.rewind)
    return
  }

  const wantsSnapshot =
    provider !== undefined && (mode === 'always' || (mode === 'resync' && resync !== null))
  if (!wantsSnapshot) {
    const head = await engine.head(topic)
    if (subscription.state === 'closed') return
    subscription.positionRead()
    // Only here does `subscribed` alone say where the client stands: nothing else follows it.
    if (!resync) connection.writer.position?.(topic, head)
    connection.sendFrames(
      resync
        ? [
            subscribed(frame, head.epoch, head.seq, resync),
            { type: 'resync', topic, reason: resync, epoch: head.epoch, seq: head.seq },
          ]
        : [subscribed(frame, head.epoch, head.seq, null)],
    )
    await goLive(connection, subscription, head.epoch, head.seq)
    return
  }

  // Publishes to the topic wait while the provider runs, so the head read here is exactly the
  // position its state reflects.
  const release = await publisher.hold(topic)
  try {
    const head = await engine.head(topic)
    subscription.positionRead()
    const data = await runProvider(connection, topic)
    if (subscription.state === 'closed') return
    const hasSnapshot = data !== null && data !== undefined
    const frames: ServerFrame[] = [subscribed(frame, head.epoch, head.seq, resync, hasSnapshot)]
    if (resync) frames.push({ type: 'resync', topic, reason: resync, epoch: head.epoch, seq: head.seq })
    if (hasSnapshot) frames.push({ type: 'snapshot', topic, epoch: head.epoch, seq: head.seq, data })
    connection.sendFrames(frames)
    await goLive(connection, subscription, head.epoch, head.seq)
  } finally {
    release()
  }
}

async function runProvider(connection: Connection, topic: string): Promise<Json | null | undefined> {
  const { options } = connection.runtime
  const provider = options.snapshot as NonNullable<typeof options.snapshot>
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new ServerError('INTERNAL', 'the snapshot took too long', { topic })
      connection.runtime.report(
        new Error(`snapshot provider for ${topic} exceeded ${options.snapshotTimeoutMs} ms`),
        {
          operation: 'snapshot',
          connectionId: connection.id,
          identity: connection.identity,
          topic,
        },
      )
      reject(error)
    }, options.snapshotTimeoutMs)
  })
  try {
    // Sent as JSON as it is (see SnapshotProvider): the app's own types are JSON on the wire.
    return (await Promise.race([
      Promise.resolve().then(() => provider(topic, { identity: connection.identity })),
      timeout,
    ])) as Json | null | undefined
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Ends a flow: the presence sync (when asked), then live delivery, flushing the events queued
 * meanwhile. The sync goes first so that no live event of the flow precedes it.
 */
async function goLive(
  connection: Connection,
  subscription: Subscription,
  epoch: string,
  seq: number,
): Promise<void> {
  if (subscription.wantsPresence) {
    // Changes that arrive while the list is read queue behind the sync (a networked engine's
    // list and its change stream are not read at one instant).
    subscription.presence = 'syncing'
    const pending = connection.runtime.engine.presence(subscription.topic)
    const members: PresenceMember[] = pending instanceof Promise ? await pending : pending
    if (subscription.state === 'closed') return
    subscription.presenceSynced({ type: 'presence', topic: subscription.topic, action: 'sync', members })
  }
  subscription.goLive(epoch, seq)
}

/**
 * The unsubscribe command. Idempotent: a topic not subscribed is answered `unsubscribed` too,
 * so a client that raced a server-side drop sees no error.
 */
export function unsubscribe(connection: Connection, frame: UnsubscribeFrame): void {
  endSubscription(connection, frame.topic, undefined)
  connection.sendFrame(
    frame.id === undefined
      ? { type: 'unsubscribed', topic: frame.topic }
      : { type: 'unsubscribed', id: frame.id, topic: frame.topic },
  )
}

/** Ends a subscription (and the connection's presence on the topic) and tells the onUnsubscribe hook. */
export function endSubscription(connection: Connection, topic: string, reason: string | undefined): void {
  const subscription = connection.subscriptions.get(topic)
  if (!subscription) return
  const { runtime } = connection
  subscription.close()
  runtime.hub.remove(subscription)
  connection.subscriptions.delete(topic)
  connection.leavePresence(topic)
  if (runtime.hasHook('onUnsubscribe')) runtime.runHook('onUnsubscribe', connection.info(), topic, reason)
}
