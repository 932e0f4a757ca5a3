import { type Json, KIND_PATTERN, MAX_KEY_LENGTH } from '@sluice/protocol'
import type { Identity } from '../identity'
import type { PublishInput, SluiceServer } from '../server-types'

/** What every middleware context carries, whatever runs. */
interface InvocationBase {
  readonly identity: Identity | null
  readonly connectionId: string
  readonly server: SluiceServer
  /**
   * Values for later middleware and the procedure (`ctx.state` there too): the same object
   * from the first middleware to the handler, empty at first.
   */
  readonly state: Record<string, unknown>
}

/** A `call` about to run: its guard and schema have passed. */
export interface CallInvocation extends InvocationBase {
  readonly type: 'call'
  /** The procedure; changing it would not run another (the guard that passed was this one's). */
  readonly name: string
  /** The arguments as the schema returned them (the frame's `args` without one); the procedure gets this value. */
  args: unknown
  /**
   * What the call answers with: the procedure's return value once `next()` resolved. A
   * middleware may replace it, or set it and not call `next()` to answer without the procedure.
   */
  result?: unknown
}

/** A client `publish` about to be appended: the topic's authorization has passed. */
export interface PublishInvocation extends InvocationBase {
  readonly type: 'publish'
  /** The topic; the event is appended here whatever a middleware does (this is what was authorized). */
  readonly topic: string
  /**
   * The event that will be appended (kind, key, data, meta). A middleware may change it before
   * `next()`, e.g. stamp `meta` with who published; `kind` must stay a lowercase word.
   */
  event: PublishInput
  /** Where the event landed, once `next()` resolved. */
  position?: { epoch: string; seq: number; duplicate: boolean }
}

/** What a middleware sees: which call or publish runs, who runs it, and the server. */
export type MiddlewareContext = CallInvocation | PublishInvocation

/**
 * Code around every call and client publish, in onion order: the first registered runs first
 * and finishes last. `await next()` runs the rest (later middleware, then the procedure or the
 * append); code after it sees `ctx.result` or `ctx.position`. Throw a `ServerError` to refuse
 * with its code; anything else thrown answers INTERNAL and goes to onError.
 *
 * @example
 * sluice.use(async (ctx, next) => {
 *   const started = performance.now()
 *   try {
 *     await next()
 *   } finally {
 *     metrics.observe(ctx.type === 'call' ? ctx.name : ctx.topic, performance.now() - started)
 *   }
 * })
 */
export type Middleware = (ctx: MiddlewareContext, next: () => Promise<void>) => unknown

/**
 * Runs `ctx` through `middleware` in order, then `terminal` (the procedure or the append).
 *
 * `next()` may be called once. A middleware that calls `next()` without awaiting it has its
 * inner chain waited for all the same, and that chain's failure is the command's: otherwise a
 * forgotten `await` would answer a call before its procedure ran and lose its errors. A
 * middleware that awaited `next()` decides for itself, and may catch what it threw.
 *
 * @throws whatever a middleware or the terminal throws; TypeError for `next()` called twice
 */
export async function runMiddleware(
  middleware: readonly Middleware[],
  ctx: MiddlewareContext,
  terminal: () => Promise<void>,
): Promise<void> {
  const dispatch = async (index: number): Promise<void> => {
    const current = middleware[index]
    if (current === undefined) return terminal()
    let inner: Promise<void> | undefined
    let settled = false
    const next = (): Promise<void> => {
      if (inner !== undefined) {
        throw new TypeError(`middleware[${index}] called next() more than once for ${subjectOf(ctx)}`)
      }
      inner = dispatch(index + 1).finally(() => {
        settled = true
      })
      // A middleware that throws after an unawaited next() leaves nobody to see this chain fail;
      // the process must not die of an unhandled rejection for it.
      inner.catch(() => {})
      return inner
    }
    await current(ctx, next)
    if (inner !== undefined && !settled) await inner
  }
  return dispatch(0)
}

/** The call or publish a context is about, for messages: `call addTodo`, `publish to chat:1`. */
function subjectOf(ctx: MiddlewareContext): string {
  return ctx.type === 'call' ? `call ${ctx.name}` : `publish to ${ctx.topic}`
}

/**
 * Checks an event a middleware may have changed, before it is appended: a kind or key that no
 * client can decode, or data that cannot be serialized, would fail at every subscriber later.
 * These are the app's bugs, not the client's: a TypeError (INTERNAL, reported to onError).
 */
export function checkMiddlewareEvent(topic: string, event: PublishInput): void {
  if (typeof event?.kind !== 'string' || !KIND_PATTERN.test(event.kind)) {
    throw new TypeError(
      `middleware changed the event of a publish to ${topic}: kind must be a lowercase word such as "created", received ${JSON.stringify(event?.kind)}`,
    )
  }
  if (
    event.key !== undefined &&
    (typeof event.key !== 'string' || event.key.length === 0 || event.key.length > MAX_KEY_LENGTH)
  ) {
    throw new TypeError(
      `middleware changed the event of a publish to ${topic}: key must be a string of 1 to ${MAX_KEY_LENGTH} characters`,
    )
  }
  // As for sluice.publish: only server code can hand over a BigInt or a cycle; production
  // skips the extra serialization.
  if (process.env.NODE_ENV !== 'production') {
    try {
      JSON.stringify([event.data, event.meta] as Json[])
    } catch (cause) {
      throw new TypeError(
        `middleware changed the event of a publish to ${topic}: data and meta must be JSON-serializable`,
        { cause },
      )
    }
  }
}
