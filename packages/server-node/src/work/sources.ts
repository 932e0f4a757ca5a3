import type { ConfigSource, SourceHandle } from '../config'
import type { Runtime } from '../core/runtime'

/**
 * Where a source the server owns stands: `starting` while its start function runs, `running`
 * once it returned, `stopped` after close() (or a stop during the start), `failed` when the
 * start or the stop threw.
 */
export type SourceState = 'starting' | 'running' | 'stopped' | 'failed'

/** A source as `stats()` and `GET <base>/status` list it. */
export interface SourceStatus {
  name: string
  state: SourceState
  /** The message of the last error: a failed start or stop, or one the source reported. */
  error: string | null
  /** When its start function returned, ms since the Unix epoch; null before. */
  startedAt: number | null
}

/** Which state may follow which: every change goes through {@link ManagedSource.transition}. */
const TRANSITIONS: Record<SourceState, readonly SourceState[]> = {
  starting: ['running', 'failed', 'stopped'],
  running: ['stopped', 'failed'],
  failed: ['stopped'],
  stopped: [],
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

class ManagedSource {
  state: SourceState = 'starting'
  error: string | null = null
  startedAt: number | null = null
  readonly abort = new AbortController()
  handle: Exclude<SourceHandle, void> | undefined
  /** Settles when the start function did; never rejects (a failure is a state). */
  started: Promise<void> = Promise.resolve()

  constructor(readonly name: string) {}

  transition(to: SourceState, error?: unknown): void {
    if (!TRANSITIONS[this.state].includes(to)) return
    this.state = to
    if (error !== undefined) this.error = messageOf(error)
  }

  status(): SourceStatus {
    return { name: this.name, state: this.state, error: this.error, startedAt: this.startedAt }
  }
}

/**
 * The sources a server owns ({@link SluiceServer.source}): each starts when it is registered
 * (the server serves from its creation), is listed with its state in `/status`, and is stopped
 * by close() before the engine closes: its signal aborts, then its handle is stopped.
 */
export class ManagedSources {
  readonly #sources = new Map<string, ManagedSource>()
  readonly #runtime: Runtime

  constructor(runtime: Runtime) {
    this.#runtime = runtime
  }

  /**
   * Starts a source now: `start` is called before this returns. The promise settles once its start function did: it rejects with the
   * start's error, which is also reported to onError and shown in `/status`; an app that does
   * not await it gets no unhandled rejection.
   * @throws TypeError for a name already taken or a start that is not a function
   */
  add(name: string, start: ConfigSource): Promise<void> {
    if (typeof name !== 'string' || name === '') {
      throw new TypeError(`source: the name must be a non-empty string, received ${JSON.stringify(name)}`)
    }
    if (typeof start !== 'function') {
      throw new TypeError(
        `source ${JSON.stringify(name)}: start must be a function (server, { signal }) => handle`,
      )
    }
    if (this.#sources.has(name)) {
      throw new TypeError(`source ${JSON.stringify(name)} already exists: give each source its own name`)
    }
    const source = new ManagedSource(name)
    this.#sources.set(name, source)
    const runtime = this.#runtime
    const report = (error: unknown) => {
      source.error = messageOf(error)
      runtime.report(error, { operation: `source:${name}` })
    }
    let result: Promise<SourceHandle>
    try {
      // Called before source() returns, so a source registered right after the server was
      // created is up before the app goes on.
      result = Promise.resolve(start(runtime.server, { signal: source.abort.signal, report }))
    } catch (error) {
      result = Promise.reject(error)
    }
    const outcome = result.then(
      (handle) => {
        source.startedAt = runtime.now()
        if (handle !== undefined && handle !== null) source.handle = handle
        if (source.state === 'starting') source.transition('running')
        else if (source.handle !== undefined) {
          // close() came while it started: stop what it started at once.
          return this.#stopHandle(source)
        }
      },
      (error: unknown) => {
        source.transition('failed', error)
        runtime.report(error, { operation: `source:${name}:start` })
        throw error
      },
    )
    source.started = outcome.then(
      () => {},
      () => {},
    )
    return outcome
  }

  status(): SourceStatus[] {
    return [...this.#sources.values()].map((source) => source.status())
  }

  /** Stops every source, all at once: aborts its signal, then stops its handle. Never rejects. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#sources.values()].map((source) => this.#stop(source)))
  }

  async #stop(source: ManagedSource): Promise<void> {
    source.abort.abort()
    if (source.state === 'starting') {
      // Marked first, so the start's continuation stops the handle it returns.
      source.transition('stopped')
      await source.started
      return
    }
    if (source.state !== 'running') {
      source.transition('stopped')
      return
    }
    await this.#stopHandle(source)
  }

  async #stopHandle(source: ManagedSource): Promise<void> {
    const { handle } = source
    try {
      if (typeof handle === 'function') await handle()
      else if (handle !== undefined && typeof handle.stop === 'function') await handle.stop()
      source.transition('stopped')
    } catch (error) {
      // A source stopped while it started is `stopped` already: the error is still kept.
      source.error = messageOf(error)
      source.transition('failed')
      this.#runtime.report(error, { operation: `source:${source.name}:stop` })
    }
  }
}
