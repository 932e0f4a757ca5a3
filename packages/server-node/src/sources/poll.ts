import type { PublishTarget, SourceEvent } from './types'

/** Options of {@link poll}. */
export interface PollOptions {
  /** Pause between the end of one run and the start of the next, in ms. */
  intervalMs: number
  /** Reads what to publish: one event, a list (published in order), or null / undefined for nothing. */
  fetch: () => Promise<SourceEvent[] | SourceEvent | null | undefined>
  /** Stops polling, like {@link Poller.stop}. */
  signal?: AbortSignal
  /**
   * Called when `fetch` or `publish` fails, with the number of failures in a row and the delay
   * before the next run: `intervalMs` doubled per failure, up to `maxBackoffMs`.
   * @default logs to console.error
   */
  onError?: (error: unknown, info: { failures: number; retryInMs: number }) => void
  /** @default max(30 000, intervalMs) */
  maxBackoffMs?: number
  /**
   * Whether the first run starts at once rather than after `intervalMs`.
   * @default true
   */
  immediate?: boolean
}

/** A running {@link poll}. */
export interface Poller {
  /** Stops polling; resolves when a run in progress has finished. Idempotent. */
  stop(): Promise<void>
}

/**
 * Calls `fetch` every `intervalMs` and publishes what it returns to `topic`. Runs never overlap:
 * the next one is scheduled when the previous one has finished, so a slow source is not hammered;
 * after a failure the pause doubles (up to `maxBackoffMs`) and resets after a success.
 *
 * @example
 * const poller = poll(sluice, 'prices', {
 *   intervalMs: 5_000,
 *   fetch: async () => ({ kind: 'set', data: await (await fetch(PRICES_URL)).json() }),
 * })
 * process.on('SIGTERM', () => poller.stop())
 */
export function poll(server: PublishTarget, topic: string, options: PollOptions): Poller {
  const {
    intervalMs,
    fetch,
    signal,
    onError = defaultOnError(topic),
    maxBackoffMs = Math.max(30_000, intervalMs),
    immediate = true,
  } = options
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) {
    throw new RangeError(`poll: intervalMs must be a positive number, got ${intervalMs}`)
  }
  let stopped = false
  let failures = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let running: Promise<void> | undefined

  const schedule = (delayMs: number) => {
    if (stopped) return
    timer = setTimeout(() => {
      timer = undefined
      running = run().finally(() => {
        running = undefined
      })
    }, delayMs)
  }

  const run = async () => {
    let delayMs = intervalMs
    try {
      const result = await fetch()
      const events = result === null || result === undefined ? [] : Array.isArray(result) ? result : [result]
      for (const event of events) {
        // A stop during the run means the app is shutting down: stop publishing too.
        if (stopped) return
        await server.publish(topic, event)
      }
      failures = 0
    } catch (error) {
      failures++
      delayMs = Math.min(maxBackoffMs, intervalMs * 2 ** failures)
      if (!stopped) {
        try {
          onError(error, { failures, retryInMs: delayMs })
        } catch {
          // The error hook must not end polling.
        }
      }
    }
    schedule(delayMs)
  }

  const stop = async () => {
    stopped = true
    signal?.removeEventListener('abort', onAbort)
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    await running
  }
  const onAbort = () => void stop()

  if (signal?.aborted) stopped = true
  else {
    signal?.addEventListener('abort', onAbort, { once: true })
    schedule(immediate ? 0 : intervalMs)
  }
  return { stop }
}

function defaultOnError(topic: string) {
  return (error: unknown, { failures, retryInMs }: { failures: number; retryInMs: number }) => {
    console.error(
      `[sluice] poll(${JSON.stringify(topic)}) failed ${failures}× in a row; next run in ${retryInMs} ms`,
      error,
    )
  }
}
