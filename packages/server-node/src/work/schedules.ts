import { createHash } from 'node:crypto'
import { isValidTopic, MAX_ID_LENGTH } from '@sluice/protocol'
import { Cron } from 'croner'
import type { Runtime } from '../core/runtime'
import type { PublishInput, SluiceServer } from '../server-types'

/** What a schedule's function is called with. */
export interface ScheduleContext {
  /** When this run was due: a time the cron expression names, even if the timer fired late. */
  scheduledAt: Date
  /** Aborted when the schedule stops or the server closes: end long work early. */
  signal: AbortSignal
  server: SluiceServer
}

/** A schedule's function: returns the event to publish, or null / undefined to publish nothing. */
export type ScheduleRun = (
  context: ScheduleContext,
) => PublishInput | null | undefined | Promise<PublishInput | null | undefined>

/** Options of {@link SluiceServer.schedule}. */
export interface ScheduleOptions {
  /**
   * Names the schedule in `/status`, logs and errors, and in its events' publish ids. Unique per server.
   * @default `${topic} ${cron}`
   */
  name?: string
  /** The IANA time zone the expression is read in (`'Europe/Paris'`). @default the process's */
  timezone?: string
  /**
   * Called when a run is skipped because the previous one is still going (runs never overlap).
   * Skips are also counted in `/status` and logged at `warn`.
   */
  onSkip?: (skip: { name: string; scheduledAt: Date; runningSince: Date }) => void
}

/** A schedule as the `schedules` option takes it. */
export interface ScheduleDefinition extends ScheduleOptions {
  /** A cron expression: 5 fields (minute precision) or 6 with seconds first; croner's syntax. */
  cron: string
  /** The topic its results are published to. */
  topic: string
  run: ScheduleRun
}

/** A registered schedule. */
export interface Schedule {
  readonly name: string
  /** When it runs next, or null once stopped (or for an expression with no future time). */
  nextRun(): Date | null
  /** No more runs; resolves once a run in progress has finished. Idempotent. */
  stop(): Promise<void>
}

/** A schedule as `stats()` and `GET <base>/status` list it. */
export interface ScheduleStatus {
  name: string
  cron: string
  topic: string
  /** `running` while its function runs, `idle` between runs. */
  state: 'idle' | 'running' | 'stopped'
  /** Runs that started. */
  runs: number
  /** Due times skipped because the previous run was still going. */
  skipped: number
  /** Runs whose function or publish failed. */
  failures: number
  /** The due time of the last run that started, ms since the Unix epoch. */
  lastRunAt: number | null
  nextRunAt: number | null
  /** The message of the last failure, if any. */
  lastError: string | null
}

/** setTimeout's ceiling (about 24.8 days): a longer wait re-arms when it wakes. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1

/**
 * The id each run's event is published with: the same on every node for the same due time, so
 * that a deployment running the schedule on each node appends one event per due time (the
 * engine's publish dedup drops the others).
 */
function publishIdOf(name: string, scheduledAt: Date): string {
  const readable = `${name}@${scheduledAt.toISOString()}`
  if (readable.length <= MAX_ID_LENGTH) return readable
  return `${createHash('sha256').update(name).digest('base64url').slice(0, 22)}@${scheduledAt.toISOString()}`
}

/**
 * One cron schedule. croner evaluates the expression (`nextRun`); the timer is ours, so each
 * run knows the exact time it was due (for its publish id) and a due time that finds the
 * previous run still going is skipped and reported, never queued.
 */
class ScheduledJob {
  readonly name: string
  readonly #cron: Cron
  readonly #definition: ScheduleDefinition
  readonly #runtime: Runtime
  readonly #abort = new AbortController()
  #timer: ReturnType<typeof setTimeout> | undefined
  #next: Date | null = null
  #running: { since: Date; done: Promise<void> } | undefined
  #stopped = false
  #runs = 0
  #skipped = 0
  #failures = 0
  #lastRunAt: number | null = null
  #lastError: string | null = null

  constructor(name: string, cron: Cron, definition: ScheduleDefinition, runtime: Runtime) {
    this.name = name
    this.#cron = cron
    this.#definition = definition
    this.#runtime = runtime
    this.#arm()
  }

  nextRun(): Date | null {
    return this.#next
  }

  async halt(): Promise<void> {
    this.#stopped = true
    this.#next = null
    clearTimeout(this.#timer)
    this.#abort.abort()
    await this.#running?.done
  }

  status(): ScheduleStatus {
    const { cron, topic } = this.#definition
    return {
      name: this.name,
      cron,
      topic,
      state: this.#stopped ? 'stopped' : this.#running ? 'running' : 'idle',
      runs: this.#runs,
      skipped: this.#skipped,
      failures: this.#failures,
      lastRunAt: this.#lastRunAt,
      nextRunAt: this.#next?.getTime() ?? null,
      lastError: this.#lastError,
    }
  }

  /** Sets the timer for the first due time strictly after `after` (now by default). */
  #arm(after = new Date(Date.now())): void {
    if (this.#stopped) return
    this.#next = this.#cron.nextRun(after)
    const due = this.#next
    if (due === null) return
    const wait = Math.min(MAX_TIMEOUT_MS, Math.max(0, due.getTime() - Date.now()))
    this.#timer = setTimeout(() => this.#wake(due), wait)
  }

  #wake(due: Date): void {
    if (this.#stopped) return
    const now = Date.now()
    if (now < due.getTime()) {
      // A wait past setTimeout's ceiling, or a clock set back: not due yet.
      this.#timer = setTimeout(() => this.#wake(due), Math.min(MAX_TIMEOUT_MS, due.getTime() - now))
      return
    }
    // The next due time after this one and after now: a timer that fired late runs once, not
    // once per missed time.
    this.#arm(new Date(Math.max(now, due.getTime())))
    if (this.#running) {
      this.#skip(due, this.#running.since)
      return
    }
    this.#runs++
    this.#lastRunAt = due.getTime()
    const done = this.#run(due).finally(() => {
      this.#running = undefined
    })
    this.#running = { since: due, done }
  }

  #skip(scheduledAt: Date, runningSince: Date): void {
    this.#skipped++
    const { logger } = this.#runtime
    logger.warn(
      {
        schedule: this.name,
        scheduledAt: scheduledAt.toISOString(),
        runningSince: runningSince.toISOString(),
      },
      `sluice: schedule ${this.name} skipped a run: the previous one is still going`,
    )
    try {
      this.#definition.onSkip?.({ name: this.name, scheduledAt, runningSince })
    } catch (error) {
      this.#runtime.report(error, { operation: `schedule:${this.name}:onSkip` })
    }
  }

  async #run(scheduledAt: Date): Promise<void> {
    const { topic, run } = this.#definition
    const runtime = this.#runtime
    try {
      const event = await run({ scheduledAt, signal: this.#abort.signal, server: runtime.server })
      if (event === null || event === undefined) return
      await runtime.server.publish(topic, event, { id: publishIdOf(this.name, scheduledAt) })
    } catch (error) {
      this.#failures++
      this.#lastError = error instanceof Error ? error.message : String(error)
      runtime.report(error, { operation: `schedule:${this.name}`, topic })
    }
  }
}

/** Every schedule of one server: registration, status, and the stop on close. */
export class Schedules {
  readonly #jobs = new Map<string, ScheduledJob>()
  readonly #runtime: Runtime

  constructor(runtime: Runtime) {
    this.#runtime = runtime
  }

  /**
   * Registers and arms a schedule.
   * @throws TypeError for a bad expression, time zone or topic, or a name already taken
   */
  add(definition: ScheduleDefinition): Schedule {
    const { cron, topic, run, timezone } = definition
    const name = definition.name ?? `${topic} ${cron}`
    const subject = `schedule ${JSON.stringify(name)}`
    if (typeof run !== 'function') throw new TypeError(`${subject}: run must be a function`)
    if (!isValidTopic(topic, this.#runtime.options.limits.maxTopicLength)) {
      throw new TypeError(`${subject}: ${JSON.stringify(topic)} is not a valid topic name`)
    }
    if (this.#jobs.has(name))
      throw new TypeError(`${subject} already exists: give each schedule its own name`)
    let parsed: Cron
    try {
      parsed = new Cron(cron, timezone === undefined ? {} : { timezone })
      // A time zone croner cannot use fails only when a time is computed.
      parsed.nextRun()
    } catch (cause) {
      throw new TypeError(
        `${subject}: ${JSON.stringify(cron)}${timezone === undefined ? '' : ` in ${timezone}`} is not a usable cron expression: ${(cause as Error).message}`,
        { cause },
      )
    }
    const job = new ScheduledJob(name, parsed, definition, this.#runtime)
    this.#jobs.set(name, job)
    return {
      name,
      nextRun: () => job.nextRun(),
      // Stopped by its owner, a schedule leaves the list and frees its name; stopped by close(),
      // every schedule stays listed as stopped.
      stop: async () => {
        if (this.#jobs.get(name) === job) this.#jobs.delete(name)
        await job.halt()
      },
    }
  }

  status(): ScheduleStatus[] {
    return [...this.#jobs.values()].map((job) => job.status())
  }

  /** Stops every schedule and waits for the runs in progress (their signals are aborted). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#jobs.values()].map((job) => job.halt()))
  }
}
