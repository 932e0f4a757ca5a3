import type { PresenceMember } from '@sluice/protocol'
import { describe, expect, it, vi } from 'vitest'
import { createTestRuntime, openFakeConnection } from '../../test/fake-connection'
import { createMemoryEngine } from '../engine/memory'
import type { Engine } from '../engine/types'

describe('the presence sync of a networked engine', () => {
  it('sends the changes that arrive while the member list is read after the sync, none lost', async () => {
    const inner = createMemoryEngine()
    // The list is read when asked but answered later, as over a network: a join made meanwhile
    // is not in it, and its notification arrives before the answer.
    let answer: () => void = () => {}
    const engine: Engine = {
      ...inner,
      presence: (topic) => {
        const members = inner.presence(topic)
        return new Promise<PresenceMember[]>((resolve) => {
          answer = () => resolve(members)
        })
      },
    }
    const runtime = createTestRuntime({ engine })
    const { connection: joiner } = openFakeConnection(runtime)
    joiner.handleText('{"type":"subscribe","topic":"room"}')
    const { connection: watcher, sink } = openFakeConnection(runtime)
    watcher.handleText('{"type":"subscribe","topic":"room","presence":true}')
    await vi.waitFor(() => expect(runtime.hub.subscriptionCount).toBe(2))
    await vi.waitFor(() => expect(sink.frames().some((f) => f.type === 'subscribed')).toBe(true))
    joiner.handleText('{"type":"setPresence","topic":"room","state":{"name":"ada"}}')
    await vi.waitFor(() => expect(inner.presence('room')).toHaveLength(1))
    answer()
    await vi.waitFor(() => expect(sink.frames().filter((f) => f.type === 'presence')).toHaveLength(2))
    expect(sink.frames().filter((f) => f.type === 'presence')).toEqual([
      { type: 'presence', topic: 'room', action: 'sync', members: [] },
      {
        type: 'presence',
        topic: 'room',
        action: 'join',
        member: { connectionId: joiner.id, identity: null, state: { name: 'ada' } },
      },
    ])
  })
})
