import { latest, type SluiceClient } from '@sluice/client'
import type { TestServer } from '@sluice/server-node/testing'
import { cleanup, render } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import {
  closeAll,
  connect,
  recorder,
  startServer,
  until,
  useRecorded,
  withoutActEnvironment,
} from '../test/real-server'
import type { UseRealtimeOptions } from './realtime-result'
import { SluiceProvider } from './sluice-provider'
import { type UseHistoryResult, useHistory } from './use-history'
import { useRealtime } from './use-realtime'

// useHistory against the real server (PROTOCOL.md § history): the pages land in the store the
// useRealtime beside it renders.
withoutActEnvironment()

afterEach(async () => {
  cleanup()
  await closeAll()
})

interface Message {
  id: string
  text: string
}

interface View {
  status: string
  ids: string[]
  hasMore: boolean
  isLoadingMore: boolean
  end: string | null
  error: string | null
}

const view = recorder<View | null>(null)
let history: UseHistoryResult

function ProvidedChat({ options }: { options: UseRealtimeOptions<readonly Message[]> }) {
  const { data, status } = useRealtime('chat', options)
  history = useHistory('chat', options)
  const { hasMore, isLoadingMore, end, error } = history
  useRecorded(view, {
    status,
    ids: data.map((message) => message.id),
    hasMore,
    isLoadingMore,
    end,
    error: error && `${error.code} ${error.message}`,
  })
  return null
}

function Chat({
  client,
  options,
}: {
  client: SluiceClient
  options: UseRealtimeOptions<readonly Message[]>
}) {
  const { data, status } = useRealtime(client, 'chat', options)
  history = useHistory(client, 'chat', options)
  const { hasMore, isLoadingMore, end, error } = history
  useRecorded(view, {
    status,
    ids: data.map((message) => message.id),
    hasMore,
    isLoadingMore,
    end,
    error: error && `${error.code} ${error.message}`,
  })
  return null
}

async function publishMessages(server: TestServer, count: number) {
  for (let n = 1; n <= count; n++) {
    await server.server.publish('chat', { kind: 'created', key: `m${n}`, data: { id: `m${n}`, text: '' } })
  }
}

const live = (ids: string[]) => (v: View | null) =>
  v?.status === 'live' && JSON.stringify(v.ids) === JSON.stringify(ids)

describe('useHistory', () => {
  it('pages back to the log start: exact messages after each loadMore, then no more with log_start', async () => {
    const server = await startServer()
    await publishMessages(server, 5)
    const client = connect(server)
    render(<Chat client={client} options={{ merge: latest<Message>({ size: 10 }), rewind: 1 }} />)
    expect(await until(view, live(['m5']), 'the rewound message')).toEqual({
      status: 'live',
      ids: ['m5'],
      hasMore: true,
      isLoadingMore: false,
      end: null,
      error: null,
    })

    const first = history.loadMore(2)
    await until(view, (v) => v?.isLoadingMore === true, 'the page loading')
    expect(await first).toBe(null)
    expect(await until(view, live(['m3', 'm4', 'm5']), 'the first page')).toMatchObject({
      hasMore: true,
      isLoadingMore: false,
      end: null,
    })

    expect(await history.loadMore(2)).toBe('log_start')
    expect(await until(view, live(['m1', 'm2', 'm3', 'm4', 'm5']), 'the last page')).toEqual({
      status: 'live',
      ids: ['m1', 'm2', 'm3', 'm4', 'm5'],
      hasMore: false,
      isLoadingMore: false,
      end: 'log_start',
      error: null,
    })
    // Nothing older: resolves at once with the same end, the list unchanged.
    expect(await history.loadMore()).toBe('log_start')
    expect(view.get()?.ids).toEqual(['m1', 'm2', 'm3', 'm4', 'm5'])
  })

  it('a refused page sets error with the server code and the topic; loadMore resolves undefined, never rejects', async () => {
    let subscribes = 0
    // Allows the subscribe, refuses the history read after it (the same decision as a subscribe).
    const server = await startServer({
      authorize: (_identity, topic, action) =>
        !(action === 'subscribe' && topic === 'chat' && subscribes++ > 0),
    })
    await publishMessages(server, 3)
    const client = connect(server)
    render(<Chat client={client} options={{ merge: latest<Message>(), rewind: 1 }} />)
    await until(view, live(['m3']), 'the rewound message')

    expect(await history.loadMore()).toBe(undefined)
    expect(await until(view, (v) => v?.error !== null, 'the error')).toEqual({
      status: 'live',
      ids: ['m3'],
      hasMore: true,
      isLoadingMore: false,
      end: null,
      error: expect.stringMatching(/^FORBIDDEN loadMore chat: /),
    })
  })

  it('a store filled by a snapshot cannot page: hasMore false, loadMore resolves null without asking', async () => {
    const server = await startServer({ snapshot: () => [{ id: 's1', text: '' }] })
    const client = connect(server)
    render(<Chat client={client} options={{ merge: latest<Message>(), snapshot: true }} />)
    expect(await until(view, live(['s1']), 'the snapshot')).toMatchObject({ hasMore: false, end: null })
    expect(await history.loadMore()).toBe(null)
  })

  it('follows enabled like the useRealtime given the same options; the provider client serves the client-less form', async () => {
    const server = await startServer()
    await publishMessages(server, 3)
    const client = connect(server)
    const merge = latest<Message>()
    const tree = render(
      <SluiceProvider client={client}>
        <ProvidedChat options={{ merge, rewind: 1, enabled: false }} />
      </SluiceProvider>,
    )
    expect(view.get()).toEqual({
      status: 'idle',
      ids: [],
      hasMore: false,
      isLoadingMore: false,
      end: null,
      error: null,
    })
    // Nothing subscribed: nothing to page from, and nothing asked.
    expect(await history.loadMore()).toBe(null)
    expect(client.$connection.get().status).toBe('idle')

    tree.rerender(
      <SluiceProvider client={client}>
        <ProvidedChat options={{ merge, rewind: 1, enabled: true }} />
      </SluiceProvider>,
    )
    expect(await until(view, live(['m3']), 'the rewound message')).toMatchObject({ hasMore: true })
    expect(await history.loadMore()).toBe('log_start')
    expect(await until(view, live(['m1', 'm2', 'm3']), 'the page')).toMatchObject({
      hasMore: false,
      end: 'log_start',
    })
  })
})
