import type { CallFrame, ClientFrame, ErrorFrame, Json, ResultFrame } from '@sluice/protocol'
import { ClientError } from './client-error'
import { stableJson } from './stable-json'
import type { TimerHandle, TimerProvider } from './timers'

/** Per-call options of `client.call`. */
export interface CallOptions {
  /** Send a new call even when an identical one (same name and arguments) is in flight. @default false */
  fresh?: boolean
  /** Reject with TIMEOUT when no result arrives in time, counted from the call. @default callTimeoutMs */
  timeoutMs?: number
}

interface PendingCall {
  frame: CallFrame
  key: string | null
  sent: boolean
  timer: TimerHandle
  promise: Promise<unknown>
  resolve(value: unknown): void
  reject(error: ClientError): void
}

export interface CallsDeps {
  send(frame: ClientFrame): void
  isOpen(): boolean
  nextId(): string
  timers: TimerProvider
  defaultTimeoutMs: number
}

/**
 * Procedure calls: `call{id}` answered by `result{id}` or `error{id}`. A call issued while the
 * client is not connected waits for the connection (within its timeout). A call already sent
 * when the connection drops is rejected with NETWORK and never resent: it may have run, and
 * procedures are not assumed idempotent.
 */
export function createCalls(deps: CallsDeps) {
  const pending = new Map<string, PendingCall>()
  const byKey = new Map<string, PendingCall>()

  const settle = (entry: PendingCall) => {
    pending.delete(entry.frame.id)
    if (entry.key !== null && byKey.get(entry.key) === entry) byKey.delete(entry.key)
    deps.timers.clearTimeout(entry.timer)
  }

  const fail = (entry: PendingCall, error: ClientError) => {
    settle(entry)
    entry.reject(error)
  }

  function call(name: string, args?: Json, options: CallOptions = {}): Promise<unknown> {
    const key = options.fresh ? null : `${name}\u0000${stableJson(args)}`
    const existing = key === null ? undefined : byKey.get(key)
    if (existing) return existing.promise
    const frame: CallFrame = { type: 'call', id: deps.nextId(), name }
    if (args !== undefined) frame.args = args
    const timeoutMs = options.timeoutMs ?? deps.defaultTimeoutMs
    let resolve!: (value: unknown) => void
    let reject!: (error: ClientError) => void
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res
      reject = rej
    })
    const entry: PendingCall = { frame, key, sent: false, timer: null, promise, resolve, reject }
    entry.timer = deps.timers.setTimeout(
      () => fail(entry, new ClientError('TIMEOUT', `call ${name} got no result within ${timeoutMs} ms`)),
      timeoutMs,
    )
    pending.set(frame.id, entry)
    if (key !== null) byKey.set(key, entry)
    if (deps.isOpen()) {
      entry.sent = true
      deps.send(frame)
    }
    return promise
  }

  return {
    call,
    /** Calls on the wire, waiting for their result. */
    get inFlight(): number {
      let count = 0
      for (const entry of pending.values()) if (entry.sent) count++
      return count
    },
    onOpen(): void {
      for (const entry of pending.values()) {
        if (entry.sent) continue
        entry.sent = true
        deps.send(entry.frame)
      }
    },
    onDrop(): void {
      for (const entry of [...pending.values()]) {
        if (!entry.sent) continue
        fail(
          entry,
          new ClientError(
            'NETWORK',
            `connection lost before call ${entry.frame.name} returned; it may have run`,
          ),
        )
      }
    },
    onClosed(error: ClientError): void {
      for (const entry of [...pending.values()]) fail(entry, error)
    },
    /** Settles the call a result or error frame answers; false when the id is not a call's. */
    handle(frame: ResultFrame | ErrorFrame): boolean {
      const entry = frame.id === undefined ? undefined : pending.get(frame.id)
      if (!entry) return false
      settle(entry)
      if (frame.type === 'result') entry.resolve(frame.result ?? null)
      else {
        entry.reject(
          new ClientError(frame.code, frame.message, {
            issues: frame.issues,
            retryAfterMs: frame.retryAfterMs,
          }),
        )
      }
      return true
    },
  }
}

export type Calls = ReturnType<typeof createCalls>
