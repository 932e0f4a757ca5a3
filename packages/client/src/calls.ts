import type { Json } from '@sluice/protocol'
import type { Awaited, AwaitedAnswers } from './awaited-answers'
import { ClientError, naming } from './client-error'
import type { Connection } from './connection'
import { stableJson } from './stable-json'
import { createTimer, type TimerProvider } from './timers'

/** Per-call options of `client.call`. */
export interface CallOptions {
  /** Send a new call even when an identical one (same name and arguments) is in flight. @default false */
  fresh?: boolean
  /**
   * Reject with TIMEOUT when no result arrives in time, counted from the call (with `queue`,
   * from the send). @default callTimeoutMs
   */
  timeoutMs?: number
  /**
   * Wait in the offline queue while the client is not connected, up to
   * `offlineQueue.callMaxAgeMs` (then STALE), and start the timeout when it is sent. Queued
   * calls are sent on open with the queued publishes, in the order they were made. Once sent, a
   * call is never sent again: a drop before its result rejects it with NETWORK, as it may have
   * run (procedures are not assumed idempotent); call again if the procedure allows it.
   * @default false
   */
  queue?: boolean
}

/** What {@link createCalls} needs from the client. */
export interface CallsOptions {
  /** Where each call waits for its `result` or `error`, by id. */
  answers: AwaitedAnswers
  connection: Pick<Connection, 'send' | 'isOpen'>
  nextId: () => string
  timers: TimerProvider
  /** The timeout of a call that sets none. */
  timeoutMs: number
  /** How long a queued call may wait for a connection before it is rejected with STALE. */
  queueMaxAgeMs: number
}

/**
 * Procedure calls: `call{id}` answered by `result{id}` or `error{id}`. A call issued while the
 * client is not connected waits for the connection (within its timeout). A call already sent
 * when the connection drops is rejected with NETWORK and never resent: it may have run, and
 * procedures are not assumed idempotent. Every error names the procedure.
 *
 * @returns `client.call`, without the CLOSED check and lazy connect the client adds
 */
export function createCalls({
  answers,
  connection,
  nextId,
  timers,
  timeoutMs: defaultTimeoutMs,
  queueMaxAgeMs,
}: CallsOptions) {
  // An identical call (same name and arguments) issued while one is pending shares its promise.
  const shared = new Map<string, Promise<unknown>>()

  // The client's signature checked the arguments (JSON-compatible, or the procedure's own type).
  return (name: string, args?: unknown, { fresh, timeoutMs = defaultTimeoutMs, queue }: CallOptions = {}) => {
    const id = nextId()
    // A fresh call is keyed by its own id (no NUL in it), so it shares with nothing.
    const key = fresh ? id : `${name}\u0000${stableJson(args)}`
    let promise = shared.get(key)
    if (promise) return promise
    promise = new Promise<unknown>((resolve, reject) => {
      const timer = createTimer(timers)
      const fail = (error: ClientError) => {
        settle()
        reject(error)
      }
      const settle = () => {
        answers.remove(id)
        shared.delete(key)
        timer()
      }
      const timeout = () =>
        timer(timeoutMs, () => fail(new ClientError('TIMEOUT', `call ${name}: no result in ${timeoutMs} ms`)))
      const send = () => {
        // A queued call's time to run starts here: its wait for a connection had its own limit.
        if (queue) timeout()
        call.sent = true
        // A call is sent once (a drop fails it); `args: undefined` is left out by JSON.
        connection.send({ type: 'call', id, name, args: args as Json | undefined })
      }
      const call: Awaited = {
        once: true,
        send,
        drop() {
          if (!call.sent) return true
          fail(new ClientError('NETWORK', `call ${name}: the connection was lost; it may have run`))
          return false
        },
        answer(frame) {
          settle()
          if (frame.type === 'result') resolve(frame.result ?? null)
          // Only a result or an error answers a call: another frame with its id is the server's bug.
          else if (frame.type === 'error')
            reject(new ClientError(frame.code, `call ${name}: ${frame.message}`, frame))
          else reject(new ClientError('INTERNAL', `call ${name}: answered with a ${frame.type} frame`))
        },
        // The client closed: say which call it ended.
        fail: (error) => fail(naming(`call ${name}`, error)),
      }
      if (queue && !connection.isOpen()) {
        timer(queueMaxAgeMs, () =>
          fail(new ClientError('STALE', `call ${name}: not sent in ${queueMaxAgeMs} ms`)),
        )
      } else timeout()
      answers.add(id, call)
      if (connection.isOpen()) send()
    })
    shared.set(key, promise)
    return promise
  }
}
