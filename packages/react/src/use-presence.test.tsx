import { createFakeClient } from '@sluice/client/testing'
import { act, cleanup, render, screen } from '@testing-library/react'
import { StrictMode, useState } from 'react'
import { renderToString } from 'react-dom/server'
import { afterEach, describe, expect, it } from 'vitest'
import { SluiceProvider } from './sluice-provider'
import { type PresenceClient, type PresenceData, type PresenceMember, usePresence } from './use-presence'

afterEach(cleanup)

const flush = () => act(async () => {})

/** The fake client plus a setPresence that records, in one log with subscribes and unsubscribes. */
function presenceClient() {
  const fake = createFakeClient()
  const log: string[] = []
  const client: PresenceClient = {
    $connection: fake.client.$connection,
    subscribe(topic, options) {
      log.push(`subscribe ${topic} presence=${options.presence}`)
      const subscription = fake.client.subscribe(topic, options)
      return {
        ...subscription,
        unsubscribe() {
          log.push(`unsubscribe ${topic}`)
          subscription.unsubscribe()
        },
      }
    },
    setPresence(topic, state) {
      log.push(`setPresence ${topic} ${JSON.stringify(state)}`)
    },
  }
  let seq = 0
  const join = (topic: string, member: PresenceMember) => {
    seq++
    fake.sink(topic, undefined, true).pushEvents([
      {
        type: 'event',
        topic,
        epoch: 'e1',
        seq,
        kind: 'join',
        key: member.connectionId,
        data: { ...member },
        ts: 0,
      },
    ])
  }
  return { client, log, join, fake }
}

let setTyping: (typing: boolean | null) => void = () => {}

function Room({ client }: { client: PresenceClient }) {
  const [typing, set] = useState<boolean | null>(false)
  setTyping = set
  // A new object on every render: only a change of its JSON is announced again.
  const state: PresenceData | undefined = typing === null ? undefined : { name: 'ann', typing }
  const { members, self } = usePresence(client, 'doc:7', state)
  return (
    <p data-testid="members">{`${members.map((member) => member.connectionId).join(',')} self=${self?.connectionId ?? null}`}</p>
  )
}

function Watcher() {
  const { members } = usePresence('doc:7')
  return <p data-testid="watcher">{members.length}</p>
}

describe('usePresence', () => {
  it('joins once subscribed, announces only JSON changes, leaves before unsubscribing', async () => {
    const { client, log, join, fake } = presenceClient()
    // This tab's connection is c1: its member is `self`.
    fake.setConnection({ status: 'open', transport: 'ws', connectionId: 'c1' })
    const { unmount } = render(<Room client={client} />)
    expect(log).toEqual(['subscribe doc:7 presence=true', 'setPresence doc:7 {"name":"ann","typing":false}'])
    act(() => {
      join('doc:7', { connectionId: 'c1', identity: 'ann', state: { name: 'ann', typing: false } })
      join('doc:7', { connectionId: 'c2', identity: null })
    })
    await flush()
    expect(screen.getByTestId('members').textContent).toBe('c1,c2 self=c1')
    // A reconnect gives the tab a new id; until its new member joins, it is not among them.
    act(() => fake.setConnection({ connectionId: 'c9' }))
    expect(screen.getByTestId('members').textContent).toBe('c1,c2 self=null')
    act(() => setTyping(false))
    act(() => setTyping(true))
    act(() => setTyping(null))
    act(() => setTyping(false))
    unmount()
    expect(log).toEqual([
      'subscribe doc:7 presence=true',
      'setPresence doc:7 {"name":"ann","typing":false}',
      'setPresence doc:7 {"name":"ann","typing":true}',
      'setPresence doc:7 null',
      'setPresence doc:7 {"name":"ann","typing":false}',
      'setPresence doc:7 null',
      'unsubscribe doc:7',
    ])
  })

  it('only watches without a state, from the provider client, and renders no members on the server', () => {
    const { client, log } = presenceClient()
    const tree = (
      <SluiceProvider client={client}>
        <Watcher />
      </SluiceProvider>
    )
    expect(renderToString(tree)).toBe('<p data-testid="watcher">0</p>')
    expect(log).toEqual([])
    const { unmount } = render(tree)
    unmount()
    expect(log).toEqual(['subscribe doc:7 presence=true', 'unsubscribe doc:7'])
  })

  it('under StrictMode, leaves with its mount check and joins again once', () => {
    const { client, log } = presenceClient()
    const { unmount } = render(
      <StrictMode>
        <Room client={client} />
      </StrictMode>,
    )
    unmount()
    expect(log).toEqual([
      'subscribe doc:7 presence=true',
      'setPresence doc:7 {"name":"ann","typing":false}',
      'setPresence doc:7 null',
      'unsubscribe doc:7',
      'subscribe doc:7 presence=true',
      'setPresence doc:7 {"name":"ann","typing":false}',
      'setPresence doc:7 null',
      'unsubscribe doc:7',
    ])
  })
})
