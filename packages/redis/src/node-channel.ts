import { randomBytes } from 'node:crypto'
import type { IdentityMessage, SseCommandAnswer, SseCommandRequest } from '@sluice/server-node'
import { nodeKeys } from './keys'
import type { RedisLink } from './redis-link'

export interface NodeChannelOptions {
  prefix: string
  nodeId: string
  /** How long a forwarded SSE command POST waits for the stream's node. */
  answerTimeoutMs: number
  /** Answers an SSE command POST forwarded to this node (the server's runSseCommands). */
  answer(request: SseCommandRequest): SseCommandAnswer
  identity(identityId: string, message: IdentityMessage): void
  /** A message for one connection of this node, sent by another node. */
  connection(connectionId: string, message: IdentityMessage): void
  /** A probe of this node's bus came back. */
  probed(message: string): void
  report(error: unknown, operation: string): void
}

/**
 * Messages between nodes that are not about a topic: to every connection of an identity (one
 * channel all nodes listen to), and to one node (its own channel): the bus probe, and SSE
 * command POSTs routed to the node holding the stream, with its answer routed back.
 *
 * On the node channel: `probe:<token>`, `c<json>` a forwarded POST `{from, id, request}`,
 * `r<json>` its answer `{id, answer}`, `s<json>` a message for one connection
 * `{connectionId, message}`. On the identity channel: `<identity id>\n<json message>`.
 */
export function createNodeChannel(link: RedisLink, options: NodeChannelOptions) {
  const { nodeId } = options
  const names = nodeKeys(options.prefix)
  const waiting = new Map<
    string,
    { resolve: (answer: SseCommandAnswer) => void; timer: ReturnType<typeof setTimeout> }
  >()

  const forget = (id: string) => {
    clearTimeout(waiting.get(id)?.timer)
    waiting.delete(id)
  }

  const onNodeMessage = (message: string) => {
    if (message.startsWith('probe:')) {
      options.probed(message)
      return
    }
    if (message[0] === 's') {
      const { connectionId, message: routed } = JSON.parse(message.slice(1)) as {
        connectionId: string
        message: IdentityMessage
      }
      options.connection(connectionId, routed)
      return
    }
    const payload = JSON.parse(message.slice(1)) as
      | { from: string; id: string; request: SseCommandRequest }
      | { id: string; answer: SseCommandAnswer }
    if (message[0] === 'r' && 'answer' in payload) {
      const forwarded = waiting.get(payload.id)
      forget(payload.id)
      forwarded?.resolve(payload.answer)
      return
    }
    if (message[0] === 'c' && 'request' in payload) {
      const answer = options.answer(payload.request)
      link
        .command(
          ['PUBLISH', names.node(payload.from), `r${JSON.stringify({ id: payload.id, answer })}`],
          'answering a forwarded SSE command',
        )
        .catch((error) => options.report(error, 'sse command answer'))
    }
  }

  return {
    /** The channels this node subscribes before it is ready. */
    channels: [names.node(nodeId), names.identity] as const,

    /** A message on one of {@link channels}; false when the channel is another's. */
    message(message: string, channel: string): boolean {
      if (channel === names.node(nodeId)) onNodeMessage(message)
      else if (channel === names.identity) {
        const cut = message.indexOf('\n')
        options.identity(message.slice(0, cut), JSON.parse(message.slice(cut + 1)) as IdentityMessage)
      } else return false
      return true
    },

    async sendToIdentity(identityId: string, message: IdentityMessage): Promise<void> {
      const text = `${identityId}\n${JSON.stringify(message)}`
      await link.command(['PUBLISH', names.identity, text], `routing to ${identityId} failed`)
    },

    /** Resolves false when no node listens on that node's channel (it is not running). */
    async sendToConnection(node: string, connectionId: string, message: IdentityMessage): Promise<boolean> {
      const receivers = await link.command(
        ['PUBLISH', names.node(node), `s${JSON.stringify({ connectionId, message })}`],
        `routing to connection ${connectionId} failed`,
      )
      return Number(receivers) > 0
    },

    async forwardSseCommands(node: string, request: SseCommandRequest): Promise<SseCommandAnswer | null> {
      const id = randomBytes(9).toString('base64url')
      // Listening before sending: the answer may come back before PUBLISH's own reply.
      const answer = new Promise<SseCommandAnswer>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id)
          reject(link.unavailable('the node holding this SSE stream did not answer in time'))
        }, options.answerTimeoutMs)
        timer.unref?.()
        waiting.set(id, { resolve, timer })
      })
      answer.catch(() => {})
      let receivers: unknown
      try {
        const text = `c${JSON.stringify({ from: nodeId, id, request })}`
        receivers = await link.command(
          ['PUBLISH', names.node(node), text],
          'forwarding an SSE command failed',
        )
      } catch (error) {
        forget(id)
        throw error
      }
      // Nobody listens on that node's channel: no such node is running.
      if (Number(receivers) === 0) {
        forget(id)
        return null
      }
      return answer
    },

    close(): void {
      for (const id of [...waiting.keys()]) forget(id)
    },
  }
}
