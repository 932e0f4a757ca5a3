import { latest, type SluiceClient, type SubscribeOptions } from '@sluice/client'
import type { TestServer } from '@sluice/server-node/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { type EffectScope, effectScope, ref } from 'vue'
import { closeAll, connect, startServer, until } from '../test/real-server'
import { type UseHistory, useHistory } from './use-history'
import { useRealtime } from './use-realtime'

// useHistory against the real server (PROTOCOL.md § history): the pages land in the store the
// useRealtime beside it holds.

interface Message {
  id: string
  text: string
}

let scope: EffectScope | undefined

afterEach(async () => {
  scope?.stop()
  scope = undefined
  await closeAll()
})

function chat(client: SluiceClient, options: SubscribeOptions<readonly Message[]>) {
  scope = effectScope()
  const composables = scope.run(() => ({
    state: useRealtime(client, 'chat', options),
    history: useHistory(client, 'chat', options),
  }))!
  const { state, history } = composables
  const view = () => ({
    status: state.value.status,
    ids: state.value.data.map((message) => message.id),
    ...snapshot(history),
  })
  return { history, view }
}

const snapshot = ({ hasMore, isLoadingMore, end, error }: UseHistory) => ({
  hasMore: hasMore.value,
  isLoadingMore: isLoadingMore.value,
  end: end.value,
  error: error.value && `${(error.value as { code?: string }).code} ${error.value.message}`,
})

async function publishMessages(server: TestServer, count: number) {
  for (let n = 1; n <= count; n++) {
    await server.server.publish('chat', { kind: 'created', key: `m${n}`, data: { id: `m${n}`, text: '' } })
  }
}

const live =
  (ids: string[]) =>
  (v: { status: string; ids: string[] }): boolean =>
    v.status === 'live' && JSON.stringify(v.ids) === JSON.stringify(ids)

describe('useHistory', () => {
  it('pages back to the log start: exact messages after each loadMore, then no more with log_start', async () => {
    const server = await startServer()
    await publishMessages(server, 5)
    const { history, view } = chat(connect(server), { merge: latest<Message>({ size: 10 }), rewind: 1 })
    expect(await until(view, live(['m5']), 'the rewound message')).toEqual({
      status: 'live',
      ids: ['m5'],
      hasMore: true,
      isLoadingMore: false,
      end: null,
      error: null,
    })

    const first = history.loadMore(2)
    expect(history.isLoadingMore.value).toBe(true)
    expect(await first).toBe(null)
    expect(view()).toEqual({
      status: 'live',
      ids: ['m3', 'm4', 'm5'],
      hasMore: true,
      isLoadingMore: false,
      end: null,
      error: null,
    })

    expect(await history.loadMore(2)).toBe('log_start')
    expect(view()).toEqual({
      status: 'live',
      ids: ['m1', 'm2', 'm3', 'm4', 'm5'],
      hasMore: false,
      isLoadingMore: false,
      end: 'log_start',
      error: null,
    })
    // Nothing older: resolves at once with the same end, the list unchanged.
    expect(await history.loadMore()).toBe('log_start')
    expect(view().ids).toEqual(['m1', 'm2', 'm3', 'm4', 'm5'])
  })

  it('a refused page sets error with the server code and the topic; loadMore resolves undefined, never rejects', async () => {
    let subscribes = 0
    // Allows the subscribe, refuses the history read after it (the same decision as a subscribe).
    const server = await startServer({
      authorize: (_identity, topic, action) =>
        !(action === 'subscribe' && topic === 'chat' && subscribes++ > 0),
    })
    await publishMessages(server, 3)
    const { history, view } = chat(connect(server), { merge: latest<Message>(), rewind: 1 })
    await until(view, live(['m3']), 'the rewound message')

    expect(await history.loadMore()).toBe(undefined)
    expect(view()).toEqual({
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
    const { history, view } = chat(connect(server), { merge: latest<Message>(), snapshot: true })
    expect(await until(view, live(['s1']), 'the snapshot')).toMatchObject({ hasMore: false, end: null })
    expect(await history.loadMore()).toBe(null)
  })

  it('follows enabled (a ref) like the useRealtime given the same options', async () => {
    const server = await startServer()
    await publishMessages(server, 3)
    const client = connect(server)
    const enabled = ref(false)
    const options = { merge: latest<Message>(), rewind: 1, enabled }
    scope = effectScope()
    const history = scope.run(() => useHistory(client, 'chat', options))!
    expect(snapshot(history)).toEqual({ hasMore: false, isLoadingMore: false, end: null, error: null })
    // Nothing subscribed: nothing to page from, and nothing asked (the lazy client never connected).
    expect(await history.loadMore()).toBe(null)
    expect(client.$connection.get().status).toBe('idle')

    enabled.value = true
    await until(
      () => history.hasMore.value,
      (hasMore) => hasMore,
      'the subscription able to page',
    )
    expect(await history.loadMore()).toBe('log_start')
    expect(snapshot(history)).toEqual({ hasMore: false, isLoadingMore: false, end: 'log_start', error: null })

    enabled.value = false
    await until(
      () => history.end.value,
      (end) => end === null,
      'the reset on disable',
    )
    expect(snapshot(history)).toEqual({ hasMore: false, isLoadingMore: false, end: null, error: null })
  })
})
