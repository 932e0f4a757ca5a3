import type { Runtime } from '../core/runtime'
import type { SnapshotProvider } from '../options'
import { DerivedTopics } from './derived'
import { Effects } from './effects'
import { Schedules } from './schedules'
import { ManagedSources } from './sources'

/**
 * The server's own streams of work: schedules, derived topics, effects and the sources it owns.
 * Wires them to the runtime's event taps, answers the snapshots of derived topics, and stops
 * them in order on close: producers first (schedules, sources), consumers after the connections
 * are gone (effects drained, derived topics stopped), all before the engine closes.
 */
export class ServerWork {
  readonly schedules: Schedules
  readonly sources: ManagedSources
  readonly effects: Effects
  readonly derived: DerivedTopics
  readonly #runtime: Runtime
  readonly #appSnapshot: SnapshotProvider | undefined

  constructor(runtime: Runtime) {
    this.#runtime = runtime
    this.schedules = new Schedules(runtime)
    this.sources = new ManagedSources(runtime)
    this.effects = new Effects(runtime)
    this.derived = new DerivedTopics(runtime, runtime.watches)
    this.#appSnapshot = runtime.options.snapshot
    runtime.taps.appended = (event) => this.effects.appended(event)
    runtime.taps.event = (event) => this.derived.event(event)
    runtime.taps.lost = (topic, lost) => this.derived.lost(topic, lost)
  }

  /**
   * Called when the first derived topic is registered: from then on the snapshot provider
   * answers derived topics itself and passes other topics to the app's provider. Set only
   * then, because a server without any provider skips the snapshot hold altogether.
   */
  answerDerivedSnapshots(): void {
    const { options } = this.#runtime
    if (options.snapshot !== this.#appSnapshot) return
    const app = this.#appSnapshot
    options.snapshot = (topic, ctx) => this.derived.snapshot(topic) ?? app?.(topic, ctx)
  }

  /** Stops schedules (their runs awaited) and sources, within `timeoutMs`. */
  async stopProducers(timeoutMs: number): Promise<void> {
    await this.#within(
      Promise.all([this.schedules.stopAll(), this.sources.stopAll()]),
      timeoutMs,
      'schedules and sources did not stop',
    )
  }

  /** Lets effects work off their queues within `timeoutMs`, then stops the derived topics. */
  async finish(timeoutMs: number): Promise<void> {
    await this.#within(this.effects.idle(), timeoutMs, 'effects did not finish their queued events')
    this.derived.stopAll()
  }

  async #within(work: Promise<unknown>, timeoutMs: number, what: string): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs)
    })
    const outcome = await Promise.race([work, late])
    clearTimeout(timer)
    if (outcome === 'late') {
      this.#runtime.report(new Error(`close: ${what} within shutdownTimeoutMs (${timeoutMs} ms)`), {
        operation: 'close',
      })
    }
  }
}
