import type { ErrorFrame, Json, ResultFrame } from '@sluice/protocol'
import type { Pending } from './client'
import { ClientError } from './client-error'
import type { Connection } from './connection'
import { stableJson } from './stable-json'
import { createTimer, type TimerProvider } from './timers'

/** Per-call options of `client.call`. */
export interface CallOptions {
  /** Send a new call even when an identical one (same name and arguments) is in flight. @default false */
  fresh?: boolean
  /** Reject with TIMEOUT when no result arrives in time, counted from the call. @default callTimeoutMs */
  timeoutMs?: number
}

/**
 * Procedure calls: `call{id}` answered by `result{id}` or `error{id}`. A call issued while the
 * client is not connected waits for the connection (within its timeout). A call already sent
 * when the connection drops is rejected with NETWORK and never resent: it may have run, and
 * procedures are not assumed idempotent.
 *
 * @param pending the client's calls awaiting their answer, by call id; the client drives them
 * @returns `client.call`, without the CLOSED check and lazy connect the client adds
 */
export function createCalls(
  pending: Map<string, Pending>,
  connection: Pick<Connection, 'send' | 'isOpen'>,
  nextId: () => string,
  timers: TimerProvider,
  defaultTimeoutMs: number,
) {
  // An identical call (same name and arguments) issued while one is pending shares its promise.
  const shared = new Map<string, Promise<unknown>>()

  return (name: string, args?: Json, { fresh, timeoutMs = defaultTimeoutMs }: CallOptions = {}) => {
    const id = nextId()
    // A fresh call is keyed by its own id (no NUL in it), so it shares with nothing.
    const key = fresh ? id : `${name}\u0000${stableJson(args)}`
    let promise = shared.get(key)
    if (promise) return promise
    promise = new Promise<unknown>((resolve, reject) => {
      const timer = createTimer(timers)
      const settle = () => {
        pending.delete(id)
        shared.delete(key)
        timer()
      }
      const call: Pending = {
        send() {
          call.sent = true
          // A call is sent once (a drop fails it); `args: undefined` is left out by JSON.
          connection.send({ type: 'call', id, name, args })
        },
        drop() {
          if (call.sent) call.fail(new ClientError('NETWORK', 'it may have run'))
        },
        answer(answer: ResultFrame | ErrorFrame) {
          settle()
          if (answer.type === 'error') reject(new ClientError(answer.code, answer.message, answer))
          else resolve(answer.result ?? null)
        },
        fail(error) {
          settle()
          reject(error)
        },
      }
      timer(timeoutMs, () => call.fail(new ClientError('TIMEOUT', `no result in ${timeoutMs} ms`)))
      pending.set(id, call)
      if (connection.isOpen()) call.send()
    })
    shared.set(key, promise)
    return promise
  }
}
