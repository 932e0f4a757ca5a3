import { createHash } from 'node:crypto'
import {
  type EventFrame,
  isValidTopic,
  type Json,
  type JsonObject,
  type ResyncReason,
} from '@sluice/protocol'
import type { Runtime } from '../core/runtime'
import type { TopicWatches } from '../core/topic-watches'
import type { LostEvents } from '../engine/types'

/** Why a derived topic's sources could not be followed event by event. */
export interface DerivedResync {
  /** The source topic whose events were missed. */
  topic: string
  /** `too_old`: they are no longer in its log; `epoch_changed`: its log was replaced (a restart of its store). */
  reason: Exclude<ResyncReason, 'ahead'>
}

/** A derived topic as the `derived` option and {@link SluiceServer.derive} take it. */
export interface DerivedTopicDefinition<State = Json> {
  /** The topics whose events feed it, by exact name. */
  from: string | string[]
  /** The state before any event: what a subscriber's snapshot holds until the first one. */
  initial: State
  /**
   * Folds one source event into the state. Return a new state to publish it, or the same value
   * (`===`) to publish nothing. Keep it pure and quick: it runs once per source event, on every
   * node that declares the topic. A throw skips the event and is reported to onError.
   */
  reduce: (state: State, event: EventFrame) => State
  /**
   * Called when source events were missed and cannot be read again (see the README): return the
   * state to go on from, typically recomputed from your database. Its result is published.
   * @default keeps the state as it is
   */
  resync?: (state: State, resync: DerivedResync) => State | Promise<State>
}

/** A derived topic definition with the topic it publishes to (the `derived` option's entries). */
export interface DerivedTopicEntry<State = Json> extends DerivedTopicDefinition<State> {
  topic: string
}

/** A registered derived topic. */
export interface DerivedTopic<State = Json> {
  readonly topic: string
  /** Resolves once it follows its sources: its state restored and their events flowing. */
  readonly ready: Promise<void>
  /** The state after the last source event folded in. */
  state(): State
  /** Stops following the sources; the topic's log stays. */
  stop(): void
}

/** The meta key a derived event records its source positions under. */
const FROM_KEY = 'derivedFrom'
/** Dedup scope of derived publishes, apart from the app's own ids. */
const SCOPE = '\u0000derived'

type Position = { epoch: string; seq: number }

type Step = { type: 'event'; event: EventFrame } | { type: 'lost'; topic: string; lost: LostEvents }

const positionText = ({ epoch, seq }: Position) => `${epoch}:${seq}`

function parsePositions(meta: JsonObject | undefined): Map<string, Position> | undefined {
  const from = meta?.[FROM_KEY]
  if (typeof from !== 'object' || from === null || Array.isArray(from)) return undefined
  const positions = new Map<string, Position>()
  for (const [topic, text] of Object.entries(from)) {
    const match = typeof text === 'string' ? /^(.+):(\d+)$/.exec(text) : null
    if (match === null) return undefined
    positions.set(topic, { epoch: match[1] as string, seq: Number(match[2]) })
  }
  return positions
}

/**
 * One derived topic: the ordered events of its sources (through the engine, like a subscriber)
 * folded into a state that is published to the topic as `{ kind: 'set', data: state }`.
 *
 * Each derived event records in `meta.derivedFrom` the source positions its state includes, and
 * is published with an id made of them. That makes it restartable (a node reads the topic's
 * last event and goes on from those positions) and idempotent across nodes (every node that
 * declares the topic computes the same state for the same positions, and the engine appends
 * one of the identical publishes).
 */
class Derivation<State> {
  readonly topic: string
  readonly sources: readonly string[]
  readonly ready: Promise<void>
  #state: State
  readonly #definition: DerivedTopicDefinition<State>
  readonly #runtime: Runtime
  readonly #watches: TopicWatches
  /** Per source, the last event folded in; none yet for a source followed from now. */
  readonly #positions = new Map<string, Position>()
  /** Steps that came while starting, worked off once started. */
  #waiting: Step[] | undefined = []
  #chain: Promise<void> = Promise.resolve()
  #stopped = false
  readonly #watched = new Set<string>()

  constructor(
    topic: string,
    definition: DerivedTopicDefinition<State>,
    runtime: Runtime,
    watches: TopicWatches,
  ) {
    this.topic = topic
    this.sources = typeof definition.from === 'string' ? [definition.from] : [...definition.from]
    this.#definition = definition
    this.#state = definition.initial
    this.#runtime = runtime
    this.#watches = watches
    this.ready = this.#start()
  }

  get state(): State {
    return this.#state
  }

  /** An event or a loss of a source, in the engine's order. */
  offer(step: Step): void {
    if (this.#stopped) return
    if (this.#waiting !== undefined) {
      this.#waiting.push(step)
      return
    }
    this.#enqueue(step)
  }

  stop(): void {
    if (this.#stopped) return
    this.#stopped = true
    for (const source of this.#watched) this.#watches.unwatch(source)
    this.#watched.clear()
  }

  /** The state as of the topic's head, for a subscriber's snapshot (publishes to it are held meanwhile). */
  async snapshot(): Promise<Json> {
    const last = await this.#lastEvent()
    if (last !== undefined && parsePositions(last.meta) !== undefined) return last.data ?? null
    return this.#json()
  }

  async #start(): Promise<void> {
    try {
      // Watching first: every event after the reads below arrives through offer() (the seam
      // is closed by skipping what the reads already folded in).
      await Promise.all(this.sources.map((source) => this.#watch(source)))
      await this.#restore()
    } catch (error) {
      this.#report(error)
    } finally {
      const waiting = this.#waiting ?? []
      this.#waiting = undefined
      for (const step of waiting) this.#enqueue(step)
    }
  }

  async #watch(source: string): Promise<void> {
    await this.#watches.watch(source)
    // A stop during the watch would otherwise leave the topic watched for nobody.
    if (this.#stopped) this.#watches.unwatch(source)
    else this.#watched.add(source)
  }

  async #lastEvent(): Promise<EventFrame | undefined> {
    const { engine } = this.#runtime
    const head = await engine.head(this.topic)
    if (head.seq === 0) return undefined
    const read = await engine.readAfter(this.topic, { epoch: head.epoch, seq: head.seq - 1 })
    return read.ok ? read.events.at(-1) : undefined
  }

  /** Takes the state and source positions of the topic's last event, and folds in what the sources got since. */
  async #restore(): Promise<void> {
    const last = await this.#lastEvent()
    const positions = last === undefined ? undefined : parsePositions(last.meta)
    if (last === undefined) return
    if (positions === undefined) {
      // The topic has events, but not one this server can go on from (too old, or published by
      // someone else): what the sources did before is unknown.
      for (const source of this.sources) await this.#resync(source, 'too_old')
      return
    }
    this.#state = (last.data ?? null) as State
    for (const source of this.sources) {
      const from = positions.get(source)
      if (from === undefined) continue
      const read = await this.#runtime.engine.readAfter(source, from)
      if (!read.ok) {
        this.#positions.set(source, { epoch: read.epoch, seq: read.head })
        await this.#resync(source, read.reason === 'ahead' ? 'epoch_changed' : read.reason)
        continue
      }
      this.#positions.set(source, from)
      for (const event of read.events) await this.#fold(event)
    }
  }

  #enqueue(step: Step): void {
    this.#chain = this.#chain.then(() => this.#step(step)).catch((error: unknown) => this.#report(error))
  }

  async #step(step: Step): Promise<void> {
    if (this.#stopped) return
    if (step.type === 'lost') {
      this.#positions.set(step.topic, { epoch: step.lost.epoch, seq: step.lost.seq })
      const reason = step.lost.reason === 'ahead' ? 'epoch_changed' : step.lost.reason
      await this.#resync(step.topic, reason)
      return
    }
    await this.#fold(step.event)
  }

  async #fold(event: EventFrame): Promise<void> {
    const at = this.#positions.get(event.topic)
    if (at !== undefined && event.epoch === at.epoch && event.seq <= at.seq) return
    if (at !== undefined && event.epoch !== at.epoch) {
      // A new log without a `lost` first (the memory engine replaces an evicted log silently).
      this.#positions.set(event.topic, { epoch: event.epoch, seq: 0 })
      await this.#resync(event.topic, 'epoch_changed')
    }
    this.#positions.set(event.topic, { epoch: event.epoch, seq: event.seq })
    let next: State
    try {
      next = this.#definition.reduce(this.#state, event)
    } catch (error) {
      this.#report(error)
      return
    }
    if (next === this.#state) return
    this.#state = next
    this.#publish()
  }

  async #resync(source: string, reason: DerivedResync['reason']): Promise<void> {
    const { resync } = this.#definition
    this.#runtime.logger.warn(
      { topic: this.topic, source, reason },
      `sluice: derived topic ${this.topic} missed events of ${source} (${reason})`,
    )
    if (resync === undefined) return
    let next: State
    try {
      next = await resync(this.#state, { topic: source, reason })
    } catch (error) {
      this.#report(error)
      return
    }
    if (this.#stopped) return
    this.#state = next
    this.#publish()
  }

  #publish(): void {
    const from: Record<string, string> = {}
    for (const [source, position] of this.#positions) from[source] = positionText(position)
    const meta: JsonObject = { [FROM_KEY]: from }
    const id = `derived:${createHash('sha256')
      .update(`${this.topic}\n${JSON.stringify(from)}`)
      .digest('base64url')
      .slice(0, 22)}`
    // Not awaited: appends to one topic land in call order, so the next fold need not wait.
    this.#runtime.publisher
      .publish(this.topic, { kind: 'set', data: this.#json(), meta }, { id, scope: SCOPE })
      .catch((error: unknown) => this.#report(error))
  }

  // `derive` checks the state's type is JSON as itself (JsonCompatible, which interfaces pass but
  // the `Json` type does not), and add() checks the initial value at runtime.
  #json(): Json {
    return this.#state as Json
  }

  #report(error: unknown): void {
    this.#runtime.report(error, { operation: `derived:${this.topic}`, topic: this.topic })
  }
}

/** Every derived topic of one server, fed by the engine's events and losses of their sources. */
export class DerivedTopics {
  readonly #byTopic = new Map<string, Derivation<Json>>()
  readonly #bySource = new Map<string, Set<Derivation<Json>>>()
  readonly #runtime: Runtime
  readonly #watches: TopicWatches

  constructor(runtime: Runtime, watches: TopicWatches) {
    this.#runtime = runtime
    this.#watches = watches
  }

  get size(): number {
    return this.#byTopic.size
  }

  has(topic: string): boolean {
    return this.#byTopic.has(topic)
  }

  /**
   * Starts following the sources of a derived topic.
   * @throws TypeError for a bad topic or source, a source that is the topic itself, a topic
   * already derived, a reduce that is not a function, or an initial state that is not JSON
   */
  add<State>(topic: string, definition: DerivedTopicDefinition<State>): DerivedTopic<State> {
    const { maxTopicLength } = this.#runtime.options.limits
    const subject = `derive ${JSON.stringify(topic)}`
    if (!isValidTopic(topic, maxTopicLength)) throw new TypeError(`${subject}: not a valid topic name`)
    if (this.#byTopic.has(topic)) throw new TypeError(`${subject}: the topic is derived already`)
    const sources = typeof definition?.from === 'string' ? [definition.from] : definition?.from
    if (!Array.isArray(sources) || sources.length === 0) {
      throw new TypeError(`${subject}: from must name one source topic or more`)
    }
    for (const source of sources) {
      if (!isValidTopic(source, maxTopicLength)) {
        throw new TypeError(`${subject}: source ${JSON.stringify(source)} is not a valid topic name`)
      }
      if (source === topic) throw new TypeError(`${subject}: a topic cannot be derived from itself`)
    }
    if (typeof definition.reduce !== 'function') throw new TypeError(`${subject}: reduce must be a function`)
    if (definition.resync !== undefined && typeof definition.resync !== 'function') {
      throw new TypeError(`${subject}: resync must be a function`)
    }
    try {
      JSON.stringify(definition.initial)
    } catch (cause) {
      throw new TypeError(`${subject}: initial must be JSON (no BigInt, no cycles)`, { cause })
    }
    const derivation = new Derivation<State>(topic, definition, this.#runtime, this.#watches)
    const stored = derivation as unknown as Derivation<Json>
    this.#byTopic.set(topic, stored)
    for (const source of new Set(sources)) {
      let set = this.#bySource.get(source)
      if (set === undefined) {
        set = new Set()
        this.#bySource.set(source, set)
      }
      set.add(stored)
    }
    return {
      topic,
      ready: derivation.ready,
      state: () => derivation.state,
      stop: () => this.#remove(stored),
    }
  }

  /** The engine's event tap: every event of a watched topic, in seq order per topic. */
  event(event: EventFrame): void {
    const set = this.#bySource.get(event.topic)
    if (set === undefined) return
    for (const derivation of set) derivation.offer({ type: 'event', event })
  }

  /** The engine's loss tap. */
  lost(topic: string, lost: LostEvents): void {
    const set = this.#bySource.get(topic)
    if (set === undefined) return
    for (const derivation of set) derivation.offer({ type: 'lost', topic, lost })
  }

  /** The snapshot of a derived topic, or undefined when the topic is not derived here. */
  snapshot(topic: string): Promise<Json> | undefined {
    return this.#byTopic.get(topic)?.snapshot()
  }

  stopAll(): void {
    for (const derivation of [...this.#byTopic.values()]) this.#remove(derivation)
  }

  #remove(derivation: Derivation<Json>): void {
    if (this.#byTopic.get(derivation.topic) !== derivation) return
    derivation.stop()
    this.#byTopic.delete(derivation.topic)
    for (const source of derivation.sources) {
      const set = this.#bySource.get(source)
      set?.delete(derivation)
      if (set?.size === 0) this.#bySource.delete(source)
    }
  }
}
