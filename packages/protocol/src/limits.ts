import type { Limits } from './frames'

/** The protocol version this package speaks. */
export const PROTOCOL_VERSION = 1

/** Defaults a server announces unless configured otherwise. */
export const DEFAULT_LIMITS: Limits = {
  maxFrameBytes: 64 * 1024,
  maxSubscriptions: 100,
  maxTopicLength: 200,
  maxBatch: 100,
}

/** Default server heartbeat interval. */
export const DEFAULT_HEARTBEAT_MS = 25_000

/**
 * Characters a topic name may hold: they must travel unescaped in URLs, log lines and
 * Redis keys. Hierarchy is a convention (`todos/list-1`), not a protocol feature.
 */
export const TOPIC_PATTERN = /^[A-Za-z0-9._~:@/+=-]+$/

/** Longest id (command, publish, call) a peer may send. */
export const MAX_ID_LENGTH = 128

/** Longest procedure name. */
export const MAX_NAME_LENGTH = 128

/**
 * Most events a subscribe may ask to rewind: the reference ring's size, so one subscribe never
 * asks for more than a log keeps.
 */
export const MAX_REWIND = 1000

/** Most log positions one `history` page may cover, and the default when a command names none. */
export const MAX_HISTORY_PAGE = 100
export const DEFAULT_HISTORY_PAGE = 50

/** True when a topic name is well-formed and within `maxTopicLength`. */
export function isValidTopic(
  topic: unknown,
  maxTopicLength = DEFAULT_LIMITS.maxTopicLength,
): topic is string {
  // The pattern also rules out the empty string; the typeof check keeps test() from stringifying.
  return typeof topic === 'string' && topic.length <= maxTopicLength && TOPIC_PATTERN.test(topic)
}

/**
 * True when a `signal` frame's name is well-formed: the characters of a topic name, at most
 * {@link MAX_NAME_LENGTH} of them, so it travels unescaped in logs and URLs like a topic does.
 */
export function isValidSignalName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= MAX_NAME_LENGTH && TOPIC_PATTERN.test(name)
}

/** UTF-8 byte length of a string, without Buffer or TextEncoder allocations. */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) bytes += 1
    else if (code < 0x800) bytes += 2
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}
