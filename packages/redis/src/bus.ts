import { randomBytes } from 'node:crypto'
import type { EngineListener, LogHead, ReadResult } from '@sluice/server-node'
import { ServerError } from '@sluice/server-node'
import { topicKeys } from './keys'
import type { RedisLink } from './redis-link'
import { TopicFeed } from './topic-feed'
import { decodeBusMessage } from './wire'

export interface BusOptions {
  prefix: string
  /** This node's channel: the probe goes through it. */
  nodeChannel: string
  probeIntervalMs: number
  probeTimeoutMs: number
  /** A failed gap fill is tried again after this long. */
  retryMs: number
  now(): number
  head(topic: string): Promise<LogHead>
  readAfter(topic: string, from: { epoch: string; seq: number }): Promise<ReadResult>
  event: EngineListener['event']
  presence: EngineListener['presence']
  lost: EngineListener['lost']
  report(error: unknown, operation: string, topic?: string): void
}

/**
 * The topics this node watches, on Redis pub/sub: a channel per topic, subscribed while the
 * node has subscribers of it, each with a {@link TopicFeed} that turns its at-most-once messages
 * into every event once, in order (or a `lost`).
 *
 * An idle bus says nothing either way: a probe through this node's own channel tells a quiet
 * topic from a subscriber connection that stopped delivering, which is then replaced.
 */
export function createBus(link: RedisLink, options: BusOptions) {
  const { prefix, probeIntervalMs, probeTimeoutMs } = options
  const feeds = new Map<string, TopicFeed>()
  let lastMessageAt = options.now()
  let probe: { token: string; timer: ReturnType<typeof setTimeout> } | undefined

  const feedDeps = {
    read: options.readAfter,
    event: options.event,
    lost: options.lost,
    retryMs: options.retryMs,
    report: (error: unknown, topic: string) => options.report(error, 'fill', topic),
  }

  const topicOf = (channel: string): string | undefined => {
    if (!channel.startsWith(`${prefix}:{`) || !channel.endsWith('}:bus')) return undefined
    return channel.slice(prefix.length + 2, -5)
  }

  /** Every watched topic checks its epoch and reads what it missed from the log. */
  const fillAll = () => {
    for (const feed of feeds.values()) feed.fill()
  }

  const watch = async (topic: string): Promise<void> => {
    const what = `subscribing to ${topic} failed`
    const port = link.port(what, topic)
    const feed = new TopicFeed(topic, feedDeps)
    feeds.set(topic, feed)
    const { channel } = topicKeys(prefix, topic)
    try {
      // Subscribed first, then the head: every event after the head arrives on the bus (or is
      // found missing by the feed), so a log read after watch() misses nothing.
      await port.subscribe(channel)
      const at = await options.head(topic)
      feed.start(at.epoch, at.seq)
    } catch (error) {
      if (feeds.get(topic) === feed) {
        feeds.delete(topic)
        feed.close()
        port.unsubscribe(channel).catch(() => {})
      }
      throw error instanceof ServerError ? error : link.failure(error, what, topic)
    }
  }

  const unwatch = (topic: string): void => {
    const feed = feeds.get(topic)
    if (feed === undefined) return
    feeds.delete(topic)
    feed.close()
    if (link.status !== 'up') return
    link
      .port('unsubscribe')
      .unsubscribe(topicKeys(prefix, topic).channel)
      .catch((error) => options.report(error, 'unsubscribe', topic))
  }

  const probeTimer = setInterval(
    () => {
      if (link.status !== 'up' || probe !== undefined) return
      if (options.now() - lastMessageAt < probeIntervalMs) return
      const token = randomBytes(6).toString('base64url')
      const timer = setTimeout(() => {
        if (probe?.token !== token) return
        probe = undefined
        options.report(
          new Error(`no probe back in ${probeTimeoutMs} ms: replacing the subscriber connection`),
          'bus probe',
        )
        // The new connection reports itself through busBack, which fills every topic.
        if (link.status !== 'up') return
        link
          .port('bus reconnect')
          .resetSubscriber()
          .catch((error) => options.report(error, 'bus reconnect'))
      }, probeTimeoutMs)
      timer.unref?.()
      probe = { token, timer }
      link.command(['PUBLISH', options.nodeChannel, `probe:${token}`], 'bus probe').catch(() => {
        // Commands fail too: the link reconnects by itself.
      })
    },
    Math.max(10, Math.floor(probeIntervalMs / 2)),
  )
  probeTimer.unref?.()

  return {
    watch,
    unwatch,
    fillAll,
    /** The last position delivered of a watched topic, for the log scripts' epoch check. */
    known(topic: string): { epoch: string; seq: number } | undefined {
      const feed = feeds.get(topic)
      if (feed === undefined || feed.state === 'starting') return undefined
      return { epoch: feed.epoch, seq: feed.last }
    },
    /** Any message on any channel: the bus is alive. */
    heard(): void {
      lastMessageAt = options.now()
    },
    /** A probe came back. */
    probed(message: string): void {
      if (probe === undefined || message !== `probe:${probe.token}`) return
      clearTimeout(probe.timer)
      probe = undefined
    },
    /** A message on a topic's channel; false when the channel is not a topic's. */
    topicMessage(message: string, channel: string): boolean {
      const topic = topicOf(channel)
      if (topic === undefined) return false
      const feed = feeds.get(topic)
      const decoded = feed === undefined ? null : decodeBusMessage(message)
      if (feed === undefined || decoded === null) return true
      if (decoded.type === 'event') feed.offer(decoded.epoch, decoded.seq, decoded.body)
      else options.presence({ topic, ...decoded.change })
      return true
    },
    close(): void {
      clearInterval(probeTimer)
      if (probe) clearTimeout(probe.timer)
      for (const feed of feeds.values()) feed.close()
      feeds.clear()
    },
  }
}
