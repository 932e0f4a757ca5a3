/**
 * Key and channel names. Every key of one topic carries the topic as its hash tag (`{topic}`),
 * so one script touches one cluster slot; topic names cannot contain braces (TOPIC_PATTERN), so
 * the tag is always the whole topic. Node-wide names carry no tag: no script mixes them with a
 * topic's keys.
 */
export interface TopicKeys {
  /** Hash: `epoch`, `head`, `run` (the Redis run_id that last vouched for the log). */
  meta: string
  /** Stream: the log; entry id `<seq>-0`, fields `ts` and `e` (the event body as JSON). */
  log: string
  /** Counter with a lease: snapshot holds in progress, on any node. */
  hold: string
  /** Hash: presence members by connection id, as JSON `{ member, node }`. */
  presence: string
  /** Pub/sub channel: the topic's events and presence changes. */
  channel: string
  /** A publish id remembered for dedup. */
  dedup(key: string): string
  /** Marks that this node's appends to the topic were refused by a hold, until it retries them in order. */
  held(node: string): string
}

export function topicKeys(prefix: string, topic: string): TopicKeys {
  const base = `${prefix}:{${topic}}`
  return {
    meta: `${base}:meta`,
    log: `${base}:log`,
    hold: `${base}:hold`,
    presence: `${base}:presence`,
    channel: `${base}:bus`,
    dedup: (key) => `${base}:pub:${key}`,
    held: (node) => `${base}:held:${node}`,
  }
}

/** Names shared by all topics. */
export function nodeKeys(prefix: string) {
  return {
    /** Sorted set: live node ids, scored by when their lease runs out (Redis time, ms). */
    nodes: `${prefix}:nodes`,
    /** Set: the topics where a node has presence members, so a survivor can remove them when it dies. */
    presenceTopics: (node: string) => `${prefix}:node:${node}:presence`,
    /** Channel: messages for the connections of an identity, on every node. */
    identity: `${prefix}:identity`,
    /** Channel: messages for one node (its probe, SSE commands forwarded to it, their answers). */
    node: (node: string) => `${prefix}:node:${node}`,
    /** Hash with a TTL: one token bucket of the server's rate limits (the server names it: `identity:<id>:calls`…). */
    rateLimit: (key: string) => `${prefix}:limit:${key}`,
  }
}
