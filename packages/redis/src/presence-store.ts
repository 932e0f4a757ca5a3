import type { PresenceMember } from '@sluice/protocol'
import { nodeKeys, topicKeys } from './keys'
import { NodeLease } from './node-lease'
import type { RedisLink } from './redis-link'
import { NODE_BEAT, PRESENCE_REMOVE, PRESENCE_SET, PRESENCE_SWEEP } from './scripts'

export interface PresenceStoreOptions {
  prefix: string
  nodeId: string
  nodeLeaseMs: number
  report(error: unknown, operation: string, topic?: string): void
}

/**
 * Presence across nodes: each topic's members in one hash, every change published on the
 * topic's channel by the script that makes it (so a leave goes out exactly once, however many
 * nodes sweep), and this node's lease, which lets the survivors remove its members when it dies
 * without a goodbye. The node also keeps its own members, to put them back after Redis lost them
 * or after it was swept while alive but silent.
 */
export function createPresenceStore(link: RedisLink, options: PresenceStoreOptions) {
  const { prefix, nodeId, nodeLeaseMs } = options
  const names = nodeKeys(prefix)
  const members = new Map<string, Map<string, PresenceMember>>()

  const stored = (member: PresenceMember) => JSON.stringify({ member, node: nodeId })

  const setPresence = async (topic: string, member: PresenceMember): Promise<void> => {
    const keys = topicKeys(prefix, topic)
    let local = members.get(topic)
    if (!local) {
      local = new Map()
      members.set(topic, local)
    }
    local.set(member.connectionId, member)
    const what = `presence on ${topic} failed`
    // The topic is listed under this node first, so a sweep after its death finds the member.
    await link.command(['SADD', names.presenceTopics(nodeId), topic], what, topic)
    await link.run(
      PRESENCE_SET,
      [keys.presence],
      [member.connectionId, stored(member), keys.channel],
      what,
      topic,
    )
  }

  const removePresence = async (topic: string, connectionId: string): Promise<void> => {
    const local = members.get(topic)
    local?.delete(connectionId)
    const keys = topicKeys(prefix, topic)
    const what = `leaving presence on ${topic} failed`
    const sent = [link.run(PRESENCE_REMOVE, [keys.presence], [connectionId, keys.channel], what, topic)]
    if (local?.size === 0) {
      members.delete(topic)
      // Sent now, in call order with the other commands: a join made after this call lists the
      // topic again after it.
      sent.push(link.command(['SREM', names.presenceTopics(nodeId), topic], what, topic))
    }
    await Promise.all(sent)
  }

  const presence = async (topic: string): Promise<PresenceMember[]> => {
    const key = topicKeys(prefix, topic).presence
    const values = (await link.command(
      ['HVALS', key],
      `reading presence of ${topic} failed`,
      topic,
    )) as string[]
    return values.map((value) => (JSON.parse(value) as { member: PresenceMember }).member)
  }

  /** Removes a node's members of every topic it listed, except `keep`'s; each gets one leave. */
  const sweep = async (node: string, keep: Map<string, Map<string, PresenceMember>> = new Map()) => {
    const topics = (await link.command(
      ['SMEMBERS', names.presenceTopics(node)],
      'presence sweep',
    )) as string[]
    for (const topic of topics) {
      const keys = topicKeys(prefix, topic)
      const args = [node, keys.channel, ...(keep.get(topic)?.keys() ?? [])]
      await link.run(PRESENCE_SWEEP, [keys.presence], args, 'presence sweep', topic)
    }
  }

  /** Removes a node from the deployment: its members (one leave each), its topic list, its lease. */
  const remove = async (node: string) => {
    await sweep(node)
    await link.command(['DEL', names.presenceTopics(node)], 'presence sweep')
    await link.command(['ZREM', names.nodes, node], 'presence sweep')
  }

  // After Redis lost this node's members (a restart) or a survivor swept them (this node looked
  // dead): stale ones of this node go, live ones are put back (a join where they were missing).
  const restore = async () => {
    await sweep(nodeId, members)
    for (const [topic, local] of members) {
      for (const member of local.values()) await setPresence(topic, member)
    }
  }

  const lease = new NodeLease({
    nodeId,
    leaseMs: nodeLeaseMs,
    beat: async () => {
      const reply = (await link.run(
        NODE_BEAT,
        [names.nodes],
        [nodeId, String(nodeLeaseMs)],
        'node lease',
      )) as [number, ...string[]]
      return { wasMissing: Number(reply[0]) === 1, dead: reply.slice(1) as string[] }
    },
    sweepDead: remove,
    restore,
    report: (error) => options.report(error, 'node lease'),
  })

  return {
    setPresence,
    removePresence,
    presence,
    /** Starts renewing this node's lease (and sweeping the dead). */
    start: () => lease.start(),
    /** Redis is back: this node's members are put back as they are. */
    restore: () => restore().catch((error) => options.report(error, 'presence restore')),
    /** Stops renewing the lease. */
    stop: () => lease.stop(),
    /** A clean stop: this node leaves now instead of when its lease runs out. */
    leave: () => remove(nodeId),
  }
}
