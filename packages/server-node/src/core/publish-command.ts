import type { AckFrame, PublishFrame } from '@sluice/protocol'
import type { PublishInput } from '../server-types'
import { authorizeTopic } from './authorize'
import type { Connection } from './connection'
import { EchoExclusions } from './echo-exclusions'
import { checkMiddlewareEvent, type PublishInvocation, runMiddleware } from './middleware'
import type { PublishOutcome } from './publish'

/** The fields of a publish frame (or HTTP body) that become the event. */
export function publishInputOf(frame: Pick<PublishFrame, 'kind' | 'key' | 'data' | 'meta'>): PublishInput {
  const input: PublishInput = { kind: frame.kind }
  if (frame.key !== undefined) input.key = frame.key
  if (frame.data !== undefined) input.data = frame.data
  if (frame.meta !== undefined) input.meta = frame.meta
  return input
}

/**
 * The publish command: authorized per topic, then the middleware, then appended, idempotent per
 * (identity, topic, id), and answered with `ack{id, topic, epoch, seq}` (+ `duplicate: true` for
 * a retry of a publish that landed). The middleware runs after the authorization, so it sees
 * only publishes that may happen and cannot open a topic the rules close; it must call `next()`
 * (a publish has no answer without a position) or throw a ServerError to refuse.
 */
export async function clientPublish(connection: Connection, frame: PublishFrame): Promise<void> {
  const { runtime, identity } = connection
  const { topic } = frame
  await authorizeTopic(runtime, identity, topic, 'publish', connection.id)
  const input = publishInputOf(frame)
  const { middleware } = runtime.options
  let outcome: PublishOutcome | null
  if (middleware.length === 0) outcome = await append(connection, frame, input, identity?.id ?? '')
  else {
    const invocation: PublishInvocation = {
      type: 'publish',
      topic,
      event: input,
      identity,
      connectionId: connection.id,
      server: runtime.server,
      state: {},
    }
    await runMiddleware(middleware, invocation, async () => {
      checkMiddlewareEvent(topic, invocation.event)
      const appended = await append(connection, frame, invocation.event, identity?.id ?? '')
      if (appended !== null) invocation.position = { ...appended }
    })
    if (invocation.position === undefined) {
      throw new TypeError(
        `middleware returned without calling next() for publish ${frame.id} to ${topic}: call next(), or throw a ServerError to refuse it`,
      )
    }
    outcome = invocation.position
  }
  if (!outcome) return
  const ack: AckFrame = { type: 'ack', id: frame.id, topic, epoch: outcome.epoch, seq: outcome.seq }
  if (outcome.duplicate) ack.duplicate = true
  connection.sendFrame(ack)
}

/** Appends the event, with the connection's exclusion from it when the frame asks (`echo: false`). */
async function append(
  connection: Connection,
  frame: PublishFrame,
  input: PublishInput,
  scope: string,
): Promise<PublishOutcome | null> {
  const { topic, id } = frame
  let exclusions: EchoExclusions | undefined
  if (frame.echo === false) {
    connection.echoExclusions ??= new EchoExclusions()
    exclusions = connection.echoExclusions
    // Before the append: an engine may deliver the event before the append answers.
    exclusions.expect(topic, id)
  }
  let outcome: PublishOutcome | null
  try {
    outcome = await connection.runtime.publisher.publish(topic, input, { id, scope })
  } catch (error) {
    exclusions?.settle(topic, id, undefined)
    throw error
  }
  exclusions?.settle(topic, id, outcome ?? undefined)
  return outcome
}
