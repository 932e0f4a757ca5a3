import type { ClientFrame } from '@sluice/protocol'
import type { Identity } from '../identity'
import { ServerError } from '../server-error'
import { createMemoryRateLimitStore, type RateLimit, type RateLimitStore } from './rate-limit-store'

/**
 * Limits per identity: each is one bucket shared by every connection of the identity (on every
 * node, with a store the nodes share). A command spends from `commands` and then, for a call or
 * a publish, from `calls` or `publishes`; an anonymous connection has buckets of its own.
 */
export interface IdentityRateLimits {
  /** Every command but `ping`: subscribe, unsubscribe, publish, call, setPresence, auth. */
  commands?: RateLimit
  /** Calls, whatever the procedure (a procedure's own `rateLimit` comes on top). */
  calls?: RateLimit
  /** Client publishes, whatever the topic. */
  publishes?: RateLimit
}

/** A procedure's own limit (`procedures.x.rateLimit`). */
export interface ProcedureRateLimit extends RateLimit {
  /**
   * Whose bucket: the caller's identity (all its connections, every node with a shared store)
   * or the connection's. An anonymous caller always has its connection's.
   * @default 'identity'
   */
  per?: 'identity' | 'connection'
}

/** Who sends a command, as the limits see it. */
export interface Caller {
  identity: Identity | null
  connectionId: string
}

// What a refusal says when a store answers a wait that cannot be sent (Infinity, NaN).
const FALLBACK_RETRY_MS = 1_000

/**
 * Checks a limit option, naming it: perSecond a positive finite number, burst a finite number ≥ 1.
 * @throws TypeError or RangeError naming the option and the value received
 */
export function checkRateLimit(value: unknown, name: string, allowPer = false): void {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(
      `${name} must be { perSecond, burst${allowPer ? ', per?' : ''} }, received ${String(value)}`,
    )
  }
  const { perSecond, burst, per } = value as Partial<ProcedureRateLimit>
  if (typeof perSecond !== 'number' || !(perSecond > 0) || !Number.isFinite(perSecond)) {
    throw new RangeError(`${name}.perSecond must be a positive number, received ${String(perSecond)}`)
  }
  if (typeof burst !== 'number' || !(burst >= 1) || !Number.isFinite(burst)) {
    throw new RangeError(`${name}.burst must be a number ≥ 1, received ${String(burst)}`)
  }
  if (allowPer && per !== undefined && per !== 'identity' && per !== 'connection') {
    throw new TypeError(`${name}.per must be 'identity' or 'connection', received ${JSON.stringify(per)}`)
  }
}

/**
 * The server's limits beyond the per-connection command bucket (`rateLimit`, in core/limits.ts):
 * per identity ({@link IdentityRateLimits}) and per procedure ({@link ProcedureRateLimit}).
 *
 * Identity buckets live in the given store, shared by the nodes when it is (`identity:<id>:…`
 * keys, the id URI-encoded so no id can name another's bucket). Connection buckets, and the
 * buckets of anonymous connections, stay in this process: a connection lives on one node, so
 * sharing them would cost a round trip for nothing. Anonymous connections fall back to their
 * connection rather than to their remote address: behind a proxy or a NAT many people share an
 * address (and X-Forwarded-For is whatever the client wrote), so one bucket per address would
 * let one user use up everyone's; `maxConnections` and the connection bucket bound what a client
 * gains by reconnecting.
 */
export class RateLimiter {
  readonly #shared: RateLimitStore
  readonly #local = createMemoryRateLimitStore()
  readonly #identity: IdentityRateLimits

  constructor(shared: RateLimitStore, identity: IdentityRateLimits) {
    this.#shared = shared
    this.#identity = identity
  }

  /**
   * Spends from the identity buckets that apply to a command, before it runs.
   * @returns undefined when none applies (the command goes on without waiting a tick), else a
   *   promise that rejects with RATE_LIMITED (with `retryAfterMs`) or the store's error
   */
  forCommand(frame: ClientFrame, caller: Caller): Promise<void> | undefined {
    // A ping measures latency and liveness: a store round trip would distort both, and the
    // connection bucket already counts it.
    if (frame.type === 'ping') return undefined
    const { commands, calls, publishes } = this.#identity
    const kind = frame.type === 'call' ? 'calls' : frame.type === 'publish' ? 'publishes' : undefined
    const specific = kind === 'calls' ? calls : kind === 'publishes' ? publishes : undefined
    if (commands === undefined && specific === undefined) return undefined
    return this.#forCommand(commands, kind, specific, caller)
  }

  async #forCommand(
    commands: RateLimit | undefined,
    kind: 'calls' | 'publishes' | undefined,
    specific: RateLimit | undefined,
    caller: Caller,
  ): Promise<void> {
    if (commands !== undefined) await this.#take('commands', 'commands', commands, 'identity', caller)
    if (kind !== undefined && specific !== undefined)
      await this.#take(kind, kind, specific, 'identity', caller)
  }

  /** Spends from a procedure's own bucket. @throws ServerError RATE_LIMITED naming the procedure */
  forProcedure(name: string, limit: ProcedureRateLimit, caller: Caller): Promise<void> {
    const { perSecond, burst, per = 'identity' } = limit
    return this.#take(
      `call:${encodeURIComponent(name)}`,
      `calls of ${name}`,
      { perSecond, burst },
      per,
      caller,
    )
  }

  async #take(
    bucket: string,
    what: string,
    limit: RateLimit,
    per: 'identity' | 'connection',
    caller: Caller,
  ): Promise<void> {
    const identityId = per === 'identity' ? caller.identity?.id : undefined
    const verdict =
      identityId === undefined
        ? this.#local.consume(`connection:${caller.connectionId}:${bucket}`, 1, limit)
        : await this.#shared.consume(`identity:${encodeURIComponent(identityId)}:${bucket}`, 1, limit)
    if (verdict.allowed) return
    const wait = verdict.retryAfterMs
    const whose = identityId === undefined ? 'this connection' : `identity ${JSON.stringify(identityId)}`
    throw new ServerError('RATE_LIMITED', `too many ${what} for ${whose}; slow down`, {
      retryAfterMs: Number.isFinite(wait) && wait >= 0 ? Math.ceil(wait) : FALLBACK_RETRY_MS,
    })
  }
}
