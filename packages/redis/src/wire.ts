import type { EventFrame, PresenceMember } from '@sluice/protocol'
import type { EventInput, PresenceChange } from '@sluice/server-node'

/**
 * What travels on a topic's channel. The append script writes an event message by
 * concatenation (`e<epoch>\n<seq>\n<body>`), so Lua never decodes or re-encodes the JSON body
 * (cjson would round numbers to 14 digits); presence changes are `p<action>\n<member JSON>`.
 */
export type BusMessage =
  | { type: 'event'; epoch: string; seq: number; body: string }
  | { type: 'presence'; change: Omit<PresenceChange, 'topic'> }

/** The event's body as stored in the log and sent on the bus: everything but its place. */
export function encodeBody(input: EventInput): string {
  return JSON.stringify(input)
}

/** The event frame for a body read from the log or the bus. */
export function eventFrame(topic: string, epoch: string, seq: number, body: string): EventFrame {
  return { type: 'event', topic, epoch, seq, ...(JSON.parse(body) as EventInput) }
}

/** Parses a channel message; null for anything this version does not know (a newer node's). */
export function decodeBusMessage(message: string): BusMessage | null {
  const first = message.indexOf('\n')
  if (first < 0) return null
  if (message[0] === 'e') {
    const second = message.indexOf('\n', first + 1)
    if (second < 0) return null
    const seq = Number(message.slice(first + 1, second))
    if (!Number.isSafeInteger(seq) || seq < 1) return null
    return { type: 'event', epoch: message.slice(1, first), seq, body: message.slice(second + 1) }
  }
  if (message[0] === 'p') {
    const action = message.slice(1, first)
    if (action !== 'join' && action !== 'update' && action !== 'leave') return null
    const { member } = JSON.parse(message.slice(first + 1)) as { member: PresenceMember }
    return { type: 'presence', change: { action, member } }
  }
  return null
}
