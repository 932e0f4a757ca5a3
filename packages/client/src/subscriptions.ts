import {
  type ClientFrame,
  compileFilter,
  type ErrorCode,
  type ErrorFrame,
  type EventFrame,
  type Filter,
  type FilterPredicate,
  isValidTopic,
  type Json,
  type JsonObject,
  type Position,
  type PresenceFrame,
  type ResyncFrame,
  type ResyncReason,
  type ServerFrame,
  type SnapshotFrame,
  type SubscribedFrame,
  type SubscribeFrame,
  type UnsubscribedFrame,
} from '@sluice/protocol'
import { batch, type ReadableAtom } from 'nanostores'
import { ClientError } from './client-error'
import { stableJson } from './stable-json'
import type { SubscriptionStore } from './store/subscription-store'
import type { MergeStrategy, OptimisticEvent, SubscriptionState } from './store/types'
import type { TimerHandle, TimerProvider } from './timers'

/** Options of `client.subscribe`. */
export interface SubscribeOptions<TData> {
  /** How events become the store's data: `crud()`, `latest()`, `set()`, `custom()`... */
  merge: MergeStrategy<TData>
  /**
   * Only events whose `meta` matches. Two subscriptions with different filters on one topic
   * share one server subscription (the OR of both filters) and are filtered again locally.
   */
  filter?: Filter
  /**
   * Ask the server for a snapshot on the first subscribe, and after any resync. Snapshots are
   * the topic's state as the server's `snapshot` provider returns it; they are not filtered.
   * @default false
   */
  snapshot?: boolean
  /**
   * Your own snapshot loader, used instead of a server snapshot: once when the subscription
   * is first confirmed, and after every resync. Its result must be at least as new as the
   * moment it was called; events that arrive while it runs are applied on top of it.
   */
  load?: () => Promise<Json>
  /**
   * Fill this store from the topic's presence (a `sync`, then join/update/leave as events of
   * those kinds with the member as data) instead of its events. Use with `presence()`.
   * @default false
   */
  presence?: boolean
  /** Called when the server could not replay what was missed (`too_old`, `epoch_changed`, `ahead`). */
  onResync?: (reason: ResyncReason) => void
  /**
   * State to show before the first snapshot or event, e.g. rendered on the server (for
   * snapshot-shaped JSON pass `merge.fromSnapshot(json)`).
   */
  initialData?: TData
  /**
   * Where in the topic's log `initialData` was taken. The first subscribe then resumes after it
   * (replay, no snapshot needed) instead of starting at the head.
   */
  initialPosition?: Position
}

/** A handle on one `client.subscribe` call. */
export interface Subscription<TData> {
  /** The store: data, status, error, position. Shared by every subscription of the same topic and filter. */
  readonly $state: ReadableAtom<SubscriptionState<TData>>
  /** Applies an event locally until the server's copy (same `publishId`) arrives; returns a rollback. */
  optimistic(event: OptimisticEvent): () => void
  /** Leaves the subscription; the server subscription ends when its last user leaves. Idempotent. */
  unsubscribe(): void
}

export type StoreFactory = <TData>(options: {
  merge: MergeStrategy<TData>
  topic: string
  initialData?: TData
  initialPosition?: Position | null
}) => SubscriptionStore<TData>

interface Entry {
  filterKey: string
  filter: Filter | undefined
  predicate: FilterPredicate | null
  // biome-ignore lint/suspicious/noExplicitAny: one entry serves any data type; the handle restores it
  store: SubscriptionStore<any>
  refs: number
  load: (() => Promise<Json>) | undefined
  onResync: Set<(reason: ResyncReason) => void>
  /** Events held back while `load()` runs, applied on top of its result. */
  loading: EventFrame[] | null
  /** Invalidates a load that was overtaken by a newer one. */
  loadGeneration: number
  /** `load()` has not run yet: it runs when the subscription is first confirmed. */
  initialLoad: boolean
  /** Asked for server snapshots (first subscribe and resyncs). */
  snapshot: boolean
  presence: boolean
}

interface TopicState {
  topic: string
  entries: Map<string, Entry>
  /** The last event applied (or snapshot/resync point). Events at or before it are duplicates. */
  position: Position | null
  /** The filter and presence flag the server subscription has, so a change resubscribes. */
  serverKey: string | null
  /**
   * A snapshot frame is expected: asked for on a subscribe from the head (until its
   * `subscribed` says whether one follows), or announced by `subscribed.snapshot`.
   */
  awaitingSnapshot: boolean
  resyncReason: ResyncReason | null
  subscribeId: string | null
  /** Where the last subscribe resumed from: a `resync` may follow its `subscribed`. */
  resumedFrom: Position | null
}

export interface SubscriptionsDeps {
  send(frame: ClientFrame): void
  isOpen(): boolean
  nextId(): string
  createStore: StoreFactory
  /** Starts the connection when the client is lazy. */
  demand(): void
  timers: TimerProvider
}

const combine = (entries: Iterable<Entry>): Filter | undefined => {
  const filters: Filter[] = []
  const seen = new Set<string>()
  for (const entry of entries) {
    if (entry.filter === undefined) return undefined
    if (seen.has(entry.filterKey)) continue
    seen.add(entry.filterKey)
    filters.push(entry.filter)
  }
  if (filters.length === 0) return undefined
  return filters.length === 1 ? filters[0] : { or: filters }
}

/**
 * The client's subscriptions: one server subscription per topic, ref-counted stores per
 * topic + filter, and the per-topic position that makes resume and dedup work.
 *
 * Guarantees, per topic: events reach each store in log order, each at most once (an event at
 * or before the position already applied in the same epoch is dropped), and a gap is never
 * silent: a `resync` moves the store to `resyncing`, calls `onResync(reason)`, and reloads the
 * store from the server snapshot or `load()`. With neither, the store keeps its data, goes
 * `live` again with `error: { code: 'STALE' }` so the app can show or fix the gap.
 */
export function createSubscriptions(deps: SubscriptionsDeps) {
  const topics = new Map<string, TopicState>()
  const presenceStates = new Map<string, JsonObject>()
  // setPresence and unsubscribe have no caller to report to, so they carry ids: a RATE_LIMITED
  // answer is matched to its command and the command sent again after `retryAfterMs`.
  const commands = new Map<string, { type: 'setPresence' | 'unsubscribe'; topic: string }>()
  const retries = new Set<TimerHandle>()

  const sendCommand = (type: 'setPresence' | 'unsubscribe', topic: string) => {
    const id = deps.nextId()
    commands.set(id, { type, topic })
    if (type === 'unsubscribe') deps.send({ type, id, topic })
    else deps.send({ type, id, topic, state: presenceStates.get(topic) ?? null })
  }

  const onCommandAnswer = (frame: ServerFrame & { id?: string }): boolean => {
    const command = frame.id === undefined ? undefined : commands.get(frame.id)
    if (!command || frame.id === undefined) return false
    commands.delete(frame.id)
    if (frame.type !== 'error' || frame.code !== 'RATE_LIMITED') return frame.type !== 'unsubscribed'
    const timer = deps.timers.setTimeout(() => {
      retries.delete(timer)
      // Still meant? A later setPresence or subscribe decides, and a reconnect restates presence.
      if (!deps.isOpen()) return
      const subscribed = topics.has(command.topic)
      if (command.type === 'setPresence' ? subscribed : !subscribed) sendCommand(command.type, command.topic)
    }, frame.retryAfterMs ?? 1000)
    retries.add(timer)
    return true
  }

  const cancelCommands = () => {
    commands.clear()
    for (const timer of retries) deps.timers.clearTimeout(timer)
    retries.clear()
  }
  // Snapshot and presence wishes are per entry, but the server keeps one mode per topic.
  const anyWants = (state: TopicState, wish: 'snapshot' | 'presence') => {
    for (const entry of state.entries.values()) if (entry[wish]) return true
    return false
  }

  const sendSubscribe = (state: TopicState, fresh = false) => {
    if (!deps.isOpen()) return
    const filter = combine(state.entries.values())
    const snapshot = anyWants(state, 'snapshot')
    const frame: SubscribeFrame = { type: 'subscribe', id: deps.nextId(), topic: state.topic }
    if (filter !== undefined) frame.filter = filter
    if (anyWants(state, 'presence')) frame.presence = true
    if (state.position === null || state.awaitingSnapshot || fresh) {
      // No usable position: start at the head, with the snapshot that makes the store whole.
      if (snapshot) {
        frame.snapshot = 'always'
        state.awaitingSnapshot = true
      }
    } else {
      frame.from = state.position
      if (snapshot) frame.snapshot = 'resync'
    }
    state.subscribeId = frame.id ?? null
    state.resumedFrom = frame.from ?? null
    state.serverKey = subscriptionKey(state)
    deps.send(frame)
    // A (re)subscription starts without this connection's presence: state it again.
    if (presenceStates.has(state.topic)) sendCommand('setPresence', state.topic)
  }

  // What the server subscription must look like: a change means subscribing again.
  const subscriptionKey = (state: TopicState) =>
    `${stableJson(combine(state.entries.values()))}|${anyWants(state, 'presence')}`

  const onPresence = (state: TopicState, frame: PresenceFrame) => {
    for (const entry of state.entries.values()) {
      if (!entry.presence) continue
      if (frame.action === 'sync') {
        entry.store.setSnapshot(frame.members as unknown as Json, entry.store.$state.get().position)
        continue
      }
      const position = state.position ?? { epoch: '0', seq: 0 }
      entry.store.pushEvents([
        {
          type: 'event',
          topic: state.topic,
          epoch: position.epoch,
          seq: position.seq,
          kind: frame.action,
          key: frame.member.connectionId,
          data: frame.member as unknown as Json,
          ts: deps.timers.now(),
        },
      ])
    }
  }

  const setAll = (
    state: TopicState,
    status: SubscriptionState<unknown>['status'],
    error?: SubscriptionState<unknown>['error'],
  ) => {
    for (const entry of state.entries.values()) entry.store.setStatus(status, error)
  }

  const deliver = (entry: Entry, event: EventFrame) => {
    if (entry.presence) return
    if (entry.predicate && !entry.predicate(event.meta)) return
    if (entry.loading) entry.loading.push(event)
    else entry.store.pushEvents([event])
  }

  const runLoad = (state: TopicState, entry: Entry, load: () => Promise<Json>) => {
    entry.initialLoad = false
    const at = state.position
    const generation = ++entry.loadGeneration
    entry.loading = []
    entry.store.setStatus('resyncing')
    load().then(
      (data) => {
        if (entry.loadGeneration !== generation || state.entries.get(entry.filterKey) !== entry) return
        const held = entry.loading ?? []
        entry.loading = null
        // One notification for the new data and `live`, not the data under the old status first.
        batch(() => {
          entry.store.setSnapshot(data, at)
          entry.store.setStatus('live', null)
        })
        if (held.length > 0) entry.store.pushEvents(held)
      },
      (cause: unknown) => {
        if (entry.loadGeneration !== generation) return
        const held = entry.loading ?? []
        entry.loading = null
        if (held.length > 0) entry.store.pushEvents(held)
        const message = cause instanceof Error ? cause.message : String(cause)
        entry.store.setStatus('error', {
          code: cause instanceof ClientError ? cause.code : 'STALE',
          message: `load() failed: ${message}`,
        })
      },
    )
  }

  // After a resync without snapshot: the store keeps what it has, flagged.
  const markStale = (state: TopicState) => {
    const reason = state.resyncReason
    state.resyncReason = null
    for (const entry of state.entries.values()) {
      if (entry.loading) continue
      if (reason === null) entry.store.setStatus('live', null)
      else {
        entry.store.setStatus('live', {
          code: 'STALE',
          message: `missed events could not be replayed (${reason}); the data may be out of date`,
        })
      }
    }
  }

  const goLive = (state: TopicState) => {
    for (const entry of state.entries.values()) {
      if (entry.loading) continue
      if (entry.initialLoad && entry.load) runLoad(state, entry, entry.load)
      else entry.store.setStatus('live', null)
    }
  }

  // Resumed topics whose `subscribed` goes `live` once the frames of the same message or tick
  // are handled: a `resync` (too_old) of the same flow may come right after it, and `live` in
  // between would flash (connecting → live → resyncing). The server writes the flow's frames
  // back to back, so they arrive together unless the network splits them.
  let settling: Set<TopicState> | null = null
  const settle = () => {
    const pending = settling ?? []
    settling = null
    for (const state of pending) if (topics.get(state.topic) === state) goLive(state)
  }
  const unsettle = (state: TopicState) => settling?.delete(state)

  const onSubscribed = (state: TopicState, frame: SubscribedFrame) => {
    if (state.position === null || state.awaitingSnapshot)
      state.position = { epoch: frame.epoch, seq: frame.seq }
    // The server says whether a snapshot follows in this flow (its provider may have none), so
    // there is nothing to guess: wait exactly when one is coming.
    state.awaitingSnapshot = frame.snapshot === true
    if (state.awaitingSnapshot) return
    const from = state.resumedFrom
    // Fresh, or resumed at the head: nothing to replay and no resync possible.
    if (!from || (from.epoch === frame.epoch && from.seq === frame.seq)) return goLive(state)
    // Another epoch, or past the head: the resync (epoch_changed, ahead) follows for certain.
    if (from.epoch !== frame.epoch || from.seq > frame.seq) return
    // A replay or a too_old resync: only the frames after this one tell.
    if (settling === null) {
      settling = new Set()
      queueMicrotask(settle)
    }
    settling.add(state)
  }

  const onEvent = (state: TopicState, frame: EventFrame) => {
    const position = state.position
    if (position !== null && position.epoch === frame.epoch && frame.seq <= position.seq) return
    state.position = { epoch: frame.epoch, seq: frame.seq }
    for (const entry of state.entries.values()) deliver(entry, frame)
  }

  const onSnapshot = (state: TopicState, frame: SnapshotFrame) => {
    const position = { epoch: frame.epoch, seq: frame.seq }
    state.position = position
    state.awaitingSnapshot = false
    state.resyncReason = null
    for (const entry of state.entries.values()) {
      if (entry.loading) continue
      entry.initialLoad = false
      batch(() => {
        entry.store.setSnapshot(frame.data, position)
        entry.store.setStatus('live', null)
      })
    }
  }

  const onResync = (state: TopicState, frame: ResyncFrame) => {
    state.position = { epoch: frame.epoch, seq: frame.seq }
    state.resyncReason = frame.reason
    unsettle(state)
    for (const entry of state.entries.values()) {
      entry.store.setStatus('resyncing')
      for (const listener of entry.onResync) listener(frame.reason)
    }
    for (const entry of state.entries.values()) if (entry.load) runLoad(state, entry, entry.load)
    // `subscribed` (just before) said whether a snapshot follows.
    if (!state.awaitingSnapshot) markStale(state)
  }

  const onError = (state: TopicState, code: ErrorCode, message: string) => {
    state.awaitingSnapshot = false
    unsettle(state)
    setAll(state, 'error', { code, message })
  }

  const TOPIC_HANDLERS: { [T in ServerFrame['type']]?: (state: TopicState, frame: never) => void } = {
    event: onEvent,
    snapshot: onSnapshot,
    resync: onResync,
    subscribed: onSubscribed,
    unsubscribed: onUnsubscribed,
    presence: onPresence,
  }

  function subscribe<TData>(topic: string, options: SubscribeOptions<TData>): Subscription<TData> {
    if (!isValidTopic(topic, Number.MAX_SAFE_INTEGER)) {
      throw new ClientError(
        'BAD_REQUEST',
        `subscribe: topic must be a non-empty string of [A-Za-z0-9._~:@/+=-], received ${JSON.stringify(topic)}`,
      )
    }
    const filterKey = stableJson(options.filter)
    let state = topics.get(topic)
    const newTopic = state === undefined
    if (!state) {
      state = {
        topic,
        entries: new Map(),
        position: null,
        serverKey: null,
        awaitingSnapshot: false,
        resyncReason: null,
        subscribeId: null,
        resumedFrom: null,
      }
      // Seeded data that knows its position resumes after it instead of starting at the head.
      if (options.initialData !== undefined && options.initialPosition)
        state.position = options.initialPosition
      topics.set(topic, state)
    }
    let entry = state.entries.get(filterKey)
    const newEntry = entry === undefined
    if (!entry) {
      entry = {
        filterKey,
        filter: options.filter,
        predicate: options.filter === undefined ? null : compileFilter(options.filter),
        store: deps.createStore({
          merge: options.merge,
          topic,
          initialData: options.initialData,
          initialPosition: options.initialPosition ?? null,
        }),
        refs: 0,
        load: options.load,
        onResync: new Set(),
        loading: null,
        loadGeneration: 0,
        initialLoad: options.load !== undefined,
        snapshot: options.snapshot === true,
        presence: options.presence === true,
      }
      state.entries.set(filterKey, entry)
      entry.store.setStatus('connecting')
    } else if (options.snapshot) {
      entry.snapshot = true
    }
    entry.refs++
    const listener = options.onResync
    // A wrapper per handle, so the same function passed twice is still removed once per unsubscribe.
    const resyncListener = listener ? (reason: ResyncReason) => listener(reason) : null
    if (resyncListener) entry.onResync.add(resyncListener)

    if (newTopic) sendSubscribe(state)
    else if (newEntry) {
      // A second filter on a live topic: widen the server filter, and bring the new store up to date.
      // Confirmed and not waiting for anything: the new store can start now; otherwise the
      // coming `subscribed` (on this connection or the next) starts it.
      const live = deps.isOpen() && state.position !== null && !state.awaitingSnapshot
      if (options.snapshot) sendSubscribe(state, true)
      else {
        if (subscriptionKey(state) !== state.serverKey) sendSubscribe(state)
        if (live && entry.load) runLoad(state, entry, entry.load)
        else if (live) entry.store.setStatus('live', null)
      }
    }
    deps.demand()

    const owner = state
    const shared = entry
    let active = true
    return {
      $state: shared.store.$state,
      optimistic: (event) => shared.store.optimistic(event),
      unsubscribe() {
        if (!active) return
        active = false
        if (resyncListener) shared.onResync.delete(resyncListener)
        if (--shared.refs > 0) return
        owner.entries.delete(shared.filterKey)
        shared.loadGeneration++
        if (owner.entries.size === 0) {
          topics.delete(owner.topic)
          presenceStates.delete(owner.topic)
          if (deps.isOpen()) sendCommand('unsubscribe', owner.topic)
        } else if (subscriptionKey(owner) !== owner.serverKey) {
          sendSubscribe(owner)
        }
      },
    } as Subscription<TData>
  }

  /** Sets (or with null clears) this client's presence state on a subscribed topic; restated after reconnects. */
  function setPresence(topic: string, state: JsonObject | null): void {
    if (!topics.has(topic)) {
      throw new ClientError('NOT_FOUND', `setPresence: subscribe to ${topic} before setting presence on it`, {
        topic,
      })
    }
    if (state === null) presenceStates.delete(topic)
    else presenceStates.set(topic, state)
    sendCommand('setPresence', topic)
  }

  return {
    subscribe,
    setPresence,
    get size(): number {
      return topics.size
    },
    /** Positions per topic, for tests and debugging. */
    positions(): Map<string, Position | null> {
      return new Map([...topics].map(([topic, state]) => [topic, state.position]))
    },
    /** Resubscribes every topic from its position, on a new or switched connection. */
    onOpen(): void {
      for (const state of topics.values()) sendSubscribe(state)
    },
    onDrop(): void {
      // Answers to them will not come; a reconnect restates presence and has no subscriptions to end.
      cancelCommands()
      // A snapshot still awaited stays wanted: the next subscribe asks for it again from the head.
      for (const state of topics.values()) {
        unsettle(state)
        for (const entry of state.entries.values()) {
          const status = entry.store.$state.get().status
          if (status === 'live') entry.store.setStatus('connecting')
        }
      }
    },
    onClosed(): void {
      cancelCommands()
      settling = null
      for (const state of topics.values()) {
        state.awaitingSnapshot = false
        setAll(state, 'idle')
      }
    },
    /** Routes a topic frame; false when the frame is not for the subscriptions layer. */
    handle(frame: ServerFrame): boolean {
      if (onCommandAnswer(frame)) return true
      if (frame.type === 'error') {
        const state = findBySubscribeId(frame)
        if (state) onError(state, frame.code, frame.message)
        return state !== undefined
      }
      const handler = TOPIC_HANDLERS[frame.type] as
        | ((state: TopicState, frame: ServerFrame) => void)
        | undefined
      if (!handler) return false
      const state = topics.get((frame as { topic: string }).topic)
      if (state) handler(state, frame)
      return true
    },
  }

  function onUnsubscribed(state: TopicState, frame: UnsubscribedFrame) {
    // Without a reason this answers our own unsubscribe of a topic used again since: ignore.
    if (frame.reason !== undefined)
      onError(state, frame.reason, `the server ended the subscription (${frame.reason})`)
  }

  function findBySubscribeId(frame: ErrorFrame): TopicState | undefined {
    if (frame.id === undefined) return undefined
    for (const state of topics.values()) if (state.subscribeId === frame.id) return state
    return undefined
  }
}

export type Subscriptions = ReturnType<typeof createSubscriptions>
