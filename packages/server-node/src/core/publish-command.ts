import type { AckFrame, PublishFrame } from '@sluice/protocol'
import type { PublishInput } from '../server-types'
import { authorizeTopic } from './authorize'
import type { Connection } from './connection'

/** The fields of a publish frame (or HTTP body) that become the event. */
export function publishInputOf(frame: Pick<PublishFrame, 'kind' | 'key' | 'data' | 'meta'>): PublishInput {
  const input: PublishInput = { kind: frame.kind }
  if (frame.key !== undefined) input.key = frame.key
  if (frame.data !== undefined) input.data = frame.data
  if (frame.meta !== undefined) input.meta = frame.meta
  return input
}

/**
 * The publish command: authorized per topic, idempotent per (identity, topic, id), answered
 * with `ack{id, topic, epoch, seq}` (+ `duplicate: true` for a retry of a publish that landed).
 */
export async function clientPublish(connection: Connection, frame: PublishFrame): Promise<void> {
  const { runtime, identity } = connection
  const { topic } = frame
  await authorizeTopic(runtime, identity, topic, 'publish', connection.id)
  const outcome = await runtime.publisher.publish(topic, publishInputOf(frame), {
    id: frame.id,
    scope: identity?.id ?? '',
  })
  if (!outcome) return
  const ack: AckFrame = { type: 'ack', id: frame.id, topic, epoch: outcome.epoch, seq: outcome.seq }
  if (outcome.duplicate) ack.duplicate = true
  connection.sendFrame(ack)
}
