/** Builders of the server frames the msw tests script, with the defaults they share. */
import type { EventFrame, Json, ResyncReason, ServerFrame } from '@sluice/protocol'

export function event(topic: string, seq: number, epoch = 'e1', extra: Partial<EventFrame> = {}): EventFrame {
  return { type: 'event', topic, epoch, seq, kind: 'created', key: `k${seq}`, data: seq, ts: 0, ...extra }
}

/** Events `from..to` inclusive. */
export function events(topic: string, from: number, to: number, epoch = 'e1'): EventFrame[] {
  const out: EventFrame[] = []
  for (let seq = from; seq <= to; seq++) out.push(event(topic, seq, epoch))
  return out
}

/** `follows` is what the server announces: the reason of a resync and/or a snapshot that come next. */
export function subscribed(
  topic: string,
  seq: number,
  epoch = 'e1',
  id?: string,
  follows: { resync?: ResyncReason; snapshot?: true } = {},
): ServerFrame {
  return { type: 'subscribed', ...(id !== undefined && { id }), topic, epoch, seq, ...follows }
}

export function snapshot(topic: string, seq: number, data: Json, epoch = 'e1'): ServerFrame {
  return { type: 'snapshot', topic, epoch, seq, data }
}

export function resync(topic: string, reason: ResyncReason, seq: number, epoch = 'e1'): ServerFrame {
  return { type: 'resync', topic, reason, epoch, seq }
}
