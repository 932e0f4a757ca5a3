import { Client, type ClientConfig } from 'pg'
import type { TimerProvider } from './timers'

/**
 * One connection of a source, with the two things `pg` leaves to its caller: every query has a
 * deadline (a socket to a vanished host never errors on its own, so a hung query ends the
 * connection instead of the source), and the connection's end is one event (`lost`), whichever
 * way it came (server shutdown, pg_terminate_backend, a network error, our own close).
 */
export interface SourceConnection {
  /** Runs a query; rejects when it fails, outruns the deadline or the connection is lost. */
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>
  /**
   * Waits up to `ms`. With `notifications`, returns early on a NOTIFY, or at once when one came
   * since the last such wait (so none that arrived meanwhile is missed). Returns early when
   * `signal` aborts; rejects when the connection is lost.
   */
  wait(ms: number, options: { notifications: boolean; signal: AbortSignal }): Promise<void>
  /** Ends the connection; no wait for the server's goodbye (it may never come). */
  close(): void
}

export interface ConnectOptions {
  queryTimeoutMs: number
  timers: TimerProvider
  onNotification?: (channel: string, payload: string | undefined) => void
  /** Abandons connecting when it aborts (a stop should not wait for an unreachable host). */
  signal?: AbortSignal
}

export async function openConnection(
  config: ClientConfig,
  options: ConnectOptions,
): Promise<SourceConnection> {
  const { queryTimeoutMs, timers } = options
  // TCP keepalive lets the kernel notice a peer that vanished while the connection was idle.
  const client = new Client({ keepAlive: true, connectionTimeoutMillis: queryTimeoutMs, ...config })
  let lostError: Error | undefined
  const lostListeners = new Set<(error: Error) => void>()
  let notified = false
  let wakeWaiter: (() => void) | undefined

  const markLost = (error: Error) => {
    if (lostError !== undefined) return
    lostError = error
    for (const listener of lostListeners) listener(error)
    lostListeners.clear()
  }
  // Without an 'error' listener, an idle connection's failure would be an uncaught exception.
  client.on('error', (error) => markLost(error))
  client.on('end', () => markLost(new Error('the connection to PostgreSQL ended')))
  client.on('notification', (message) => {
    options.onNotification?.(message.channel, message.payload)
    notified = true
    wakeWaiter?.()
  })

  const close = () => {
    markLost(new Error('the connection was closed by the source'))
    client.end().catch(() => {})
  }

  /** Races `work` against the deadline and the connection's end. */
  const guarded = <T>(work: Promise<T>, what: string): Promise<T> => {
    if (lostError !== undefined) {
      work.catch(() => {})
      return Promise.reject(lostError)
    }
    return new Promise<T>((resolve, reject) => {
      const onLost = (error: Error) => {
        timers.clearTimeout(timer)
        reject(error)
      }
      const timer = timers.setTimeout(() => {
        lostListeners.delete(onLost)
        const error = new Error(`${what} took longer than ${queryTimeoutMs} ms: giving up on the connection`)
        reject(error)
        markLost(error)
        client.end().catch(() => {})
      }, queryTimeoutMs)
      lostListeners.add(onLost)
      work.then(
        (value) => {
          timers.clearTimeout(timer)
          lostListeners.delete(onLost)
          resolve(value)
        },
        (error: unknown) => {
          timers.clearTimeout(timer)
          lostListeners.delete(onLost)
          reject(error)
        },
      )
    })
  }

  const abandon = () => close()
  options.signal?.addEventListener('abort', abandon, { once: true })
  try {
    if (options.signal?.aborted) close()
    await guarded(client.connect(), 'connecting')
  } catch (error) {
    close()
    throw error
  } finally {
    options.signal?.removeEventListener('abort', abandon)
  }

  return {
    async query<R>(text: string, values?: unknown[]) {
      const result = await guarded(
        client.query(text, values),
        `the query ${JSON.stringify(text.slice(0, 80))}`,
      )
      return result.rows as R[]
    },
    wait(ms, { notifications, signal }) {
      if (lostError !== undefined) return Promise.reject(lostError)
      if (signal.aborted) return Promise.resolve()
      if (notifications && notified) {
        notified = false
        return Promise.resolve()
      }
      return new Promise<void>((resolve, reject) => {
        const done = () => {
          timers.clearTimeout(timer)
          lostListeners.delete(onLost)
          signal.removeEventListener('abort', done)
          wakeWaiter = undefined
          resolve()
        }
        const onLost = (error: Error) => {
          timers.clearTimeout(timer)
          signal.removeEventListener('abort', done)
          wakeWaiter = undefined
          reject(error)
        }
        const timer = timers.setTimeout(done, ms)
        lostListeners.add(onLost)
        signal.addEventListener('abort', done, { once: true })
        if (notifications) {
          wakeWaiter = () => {
            notified = false
            done()
          }
        }
      })
    },
    close,
  }
}
