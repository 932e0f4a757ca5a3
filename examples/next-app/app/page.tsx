import { readMessages } from '../lib/read-messages'
import { MessageList } from './message-list'

// A server component: it reads the messages on the server, per request (the read is not cached),
// and hands them with their log position to the client component, which goes live from there.
export default async function Page() {
  const { messages, position } = await readMessages()
  return (
    <main>
      <h1>Messages</h1>
      <MessageList initialMessages={messages} initialPosition={position} />
    </main>
  )
}
