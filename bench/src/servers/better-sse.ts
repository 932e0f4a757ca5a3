import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createChannel, createSession } from 'better-sse'
import { peerEventFrame } from '../lib/payload.ts'
import type { TargetServer } from './target-server.ts'

/** better-sse 0.16 as documented: one session per request, registered with a channel. */
export async function startBetterSse(): Promise<TargetServer> {
  const channel = createChannel()
  const http = createServer(async (req, res) => {
    const session = await createSession(req, res)
    channel.register(session)
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  return {
    port: (http.address() as AddressInfo).port,
    publish(i, sentAt) {
      channel.broadcast(peerEventFrame(i, sentAt))
    },
    subscriberCount: () => channel.sessionCount,
    close: () => new Promise((resolve) => http.close(() => resolve())),
  }
}
