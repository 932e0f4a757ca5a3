import 'server-only'
import type { Position } from '@sluice/client'
import { MESSAGES_SHOWN, type Message } from './messages'
import { sluiceServer } from './sluice-env'

/** What the page renders, and where in the topic's log it was read. */
export interface MessagesAt {
  messages: Message[]
  position: Position
}

/** One page of `GET <base>/admin/history` (docs/PROTOCOL.md, Operations API). */
interface HistoryPage {
  epoch: string
  head: number
  events: { data?: unknown }[]
  next: string | null
  resync?: 'too_old' | 'epoch_changed' | 'ahead'
}

/**
 * Reads the `messages` topic's log from the Sluice server, page by page up to its head. The
 * head is the position the client resumes after, so an event published between this read and
 * the browser's subscribe is replayed to it, and none of these is delivered twice.
 */
export async function readMessages(): Promise<MessagesAt> {
  const { url, adminKey } = sluiceServer()
  let messages: Message[] = []
  let from: string | null = null
  for (;;) {
    const query = new URLSearchParams({ topic: 'messages', limit: '1000' })
    if (from !== null) query.set('from', from)
    const response = await fetch(`${url}/admin/history?${query}`, {
      headers: { authorization: `Bearer ${adminKey}` },
      cache: 'no-store',
    })
    if (!response.ok) {
      throw new Error(
        `Reading the history of topic "messages" from ${url} failed: ${response.status} ${await response.text()}`,
      )
    }
    const page = (await response.json()) as HistoryPage
    if (page.resync) {
      // The log changed under the read (the server restarted with a new epoch): read it again.
      messages = []
      from = null
      continue
    }
    for (const event of page.events) {
      if (event.data !== undefined) messages.push(event.data as Message)
    }
    if (page.next === null) {
      return { messages: messages.slice(-MESSAGES_SHOWN), position: { epoch: page.epoch, seq: page.head } }
    }
    from = page.next
  }
}
