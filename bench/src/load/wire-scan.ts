/**
 * Byte-level scanning of received frames. The load generator must not become the bottleneck,
 * so it never JSON-parses a frame to count it: every target's event frame carries
 * `"type":"event"` and its data carries `"sentAt":<ms>`, found with Buffer/string indexOf.
 */

const EVENT_MARK = '"type":"event"'
const SENT_AT_MARK = '"sentAt":'

/** Number of event frames in one message (a single frame or a JSON array batch). */
export function countEventFrames(text: Buffer | string): number {
  let count = 0
  let at = text.indexOf(EVENT_MARK)
  while (at !== -1) {
    count++
    at = text.indexOf(EVENT_MARK, at + EVENT_MARK.length)
  }
  return count
}

/** Calls `onSentAt` with every `"sentAt"` timestamp in the message, in order. */
export function forEachSentAt(text: Buffer | string, onSentAt: (sentAt: number) => void): void {
  let at = text.indexOf(SENT_AT_MARK)
  while (at !== -1) {
    const start = at + SENT_AT_MARK.length
    let end = start
    for (;;) {
      const code = typeof text === 'string' ? text.charCodeAt(end) : text[end]
      // digits and '.'
      if (code === undefined || !((code >= 48 && code <= 57) || code === 46)) break
      end++
    }
    const slice = typeof text === 'string' ? text.slice(start, end) : text.toString('latin1', start, end)
    onSentAt(Number(slice))
    at = text.indexOf(SENT_AT_MARK, end)
  }
}
