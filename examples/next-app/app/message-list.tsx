'use client'

import type { Position } from '@sluice/client'
import { usePublish, useRealtime } from '@sluice/react'
import { type FormEvent, useState } from 'react'
import { type Message, messagesMerge } from '../lib/messages'

/**
 * The live list. The server rendered `initialMessages`; the first browser render shows the same
 * (so hydration matches), then the hook subscribes and resumes after `initialPosition`: what was
 * published since the server read the log arrives as a replay, nothing twice.
 */
export function MessageList({
  initialMessages,
  initialPosition,
}: {
  initialMessages: Message[]
  initialPosition: Position
}) {
  const { data, status, error, stale } = useRealtime('messages', {
    merge: messagesMerge,
    initialData: initialMessages,
    initialPosition,
  })
  return (
    <section>
      <p data-status={status}>{error ? `${error.code}: ${error.message}` : status}</p>
      {stale && <p role="alert">Some messages may be missing ({stale}): reload the page.</p>}
      <ul aria-label="messages">
        {data.map((message) => (
          <li key={message.id}>{message.text}</li>
        ))}
      </ul>
      <Composer />
    </section>
  )
}

function Composer() {
  const [text, setText] = useState('')
  const { publish, isPending, error } = usePublish('messages')
  const send = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const id = crypto.randomUUID()
    // Shown at once; the server's copy (same publish id) replaces it, a refusal rolls it back.
    publish({ kind: 'created', key: id, data: { id, text } }, { optimistic: { merge: messagesMerge } })
    setText('')
  }
  return (
    <form onSubmit={send}>
      <input aria-label="message" value={text} onChange={(event) => setText(event.target.value)} required />
      <button type="submit" disabled={isPending}>
        Send
      </button>
      {error && <p role="alert">{`${error.code}: ${error.message}`}</p>}
    </form>
  )
}
