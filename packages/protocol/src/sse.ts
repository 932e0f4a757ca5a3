import { decodeBase64Url, encodeBase64Url } from './base64url'
import type { ServerFrame } from './frames'
import { isValidTopic } from './limits'
import { formatPosition, type Position, parsePosition } from './position'

/** The fields of one Server-Sent Event. */
export interface SseFields {
  /** Omitted for `event` frames so a plain EventSource gets them as `message` events. */
  event?: string
  id?: string
  data: string
  /** Reconnection time hint for EventSource, in ms. */
  retry?: number
}

/**
 * The SSE event name a frame travels under: none for `event` frames (plain `onmessage`
 * works), the frame type for every other frame.
 */
export function sseEventName(frame: Pick<ServerFrame, 'type'>): string | undefined {
  return frame.type === 'event' ? undefined : frame.type
}

/**
 * Formats one Server-Sent Event, ending in the blank line that dispatches it.
 *
 * @example formatSseEvent({ event: 'welcome', data: '{}' }) // 'event: welcome\ndata: {}\n\n'
 */
export function formatSseEvent(fields: SseFields): string {
  let out = ''
  if (fields.retry !== undefined) out += `retry: ${Math.max(0, Math.floor(fields.retry))}\n`
  // A newline inside event or id would end the field early and let data inject fields.
  if (fields.event !== undefined) out += `event: ${fields.event.replace(/[\r\n]/g, '')}\n`
  if (fields.id !== undefined) out += `id: ${fields.id.replace(/[\r\n\0]/g, '')}\n`
  for (const line of fields.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`
  return out + '\n'
}

/** A comment line: keeps proxies from timing the stream out and tells the client it is alive. */
export function formatSseComment(text: string): string {
  return `: ${text.replace(/[\r\n]/g, ' ')}\n\n`
}

const CURSOR_PREFIX = 'm.'

/**
 * Encodes the SSE `id:` of a multi-topic stream: every topic's last delivered position,
 * so `Last-Event-ID` after an EventSource reconnect resumes all of them.
 *
 * @example encodeStreamCursor(new Map([['a', { epoch: 'e1', seq: 3 }]])) // 'm.eyJhIjoiZTE6MyJ9'
 */
export function encodeStreamCursor(positions: ReadonlyMap<string, Position>): string {
  // No prototype: a topic named `__proto__` must become a key, not replace the prototype.
  const object: Record<string, string> = Object.create(null)
  for (const [topic, position] of positions) object[topic] = formatPosition(position)
  return CURSOR_PREFIX + encodeBase64Url(JSON.stringify(object))
}

/**
 * Reads a `Last-Event-ID` header: `epoch:seq` for a single-topic stream (applied to its one
 * topic), or a stream cursor for a multi-topic stream.
 *
 * @param topics the stream's topics, in the order of its subscriptions
 * @returns the position per topic, or null when the header is malformed or does not fit
 */
export function decodeLastEventId(header: string, topics: readonly string[]): Map<string, Position> | null {
  if (header.startsWith(CURSOR_PREFIX)) {
    const json = decodeBase64Url(header.slice(CURSOR_PREFIX.length))
    if (json === null) return null
    let object: unknown
    try {
      object = JSON.parse(json)
    } catch {
      return null
    }
    if (typeof object !== 'object' || object === null || Array.isArray(object)) return null
    const out = new Map<string, Position>()
    for (const [topic, text] of Object.entries(object)) {
      if (!isValidTopic(topic, Number.MAX_SAFE_INTEGER) || typeof text !== 'string') return null
      const position = parsePosition(text)
      if (!position) return null
      if (topics.includes(topic)) out.set(topic, position)
    }
    return out
  }
  const position = parsePosition(header)
  if (!position || topics.length !== 1) return null
  return new Map([[topics[0] as string, position]])
}
