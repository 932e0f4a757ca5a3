import { createFakeClient } from '@sluice/client/testing'
import { describe, expect, it } from 'vitest'
import { createSSRApp, defineComponent, effectScope, h, nextTick, ref } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { type PresenceClient, type PresenceData, type PresenceMember, usePresence } from './use-presence'

/** The fake client plus a `setPresence` that records each call as `[topic, state]`. */
function presenceClient() {
  const fake = createFakeClient()
  const sent: [string, PresenceData | null][] = []
  const client: PresenceClient = {
    ...fake.client,
    setPresence: (topic, state) => {
      // setPresence is generic over the state's type; this double records it as the JSON it is.
      sent.push([topic, state as PresenceData | null])
    },
  }
  return { ...fake, client, sent }
}

let seq = 0
const presenceEvent = (topic: string, kind: 'join' | 'update' | 'leave', member: PresenceMember) => {
  seq++
  return {
    type: 'event' as const,
    topic,
    epoch: 'e1',
    seq,
    kind,
    key: member.connectionId,
    data: { ...member },
    ts: 0,
  }
}
const flush = () => new Promise<void>((resolve) => queueMicrotask(resolve))

describe('usePresence', () => {
  it('joins with the state, follows the members, updates on a JSON change and leaves when the scope stops', async () => {
    const fake = presenceClient()
    // This connection is c1: its member is `self`.
    fake.setConnection({ status: 'open', transport: 'ws', connectionId: 'c1' })
    const cursor = ref({ x: 1 })
    const scope = effectScope()
    const { members, self } = scope.run(() =>
      usePresence(fake.client, 'doc:7', () => ({ cursor: cursor.value })),
    )!
    expect(fake.sent).toEqual([['doc:7', { cursor: { x: 1 } }]])
    expect(fake.refs('doc:7', undefined, true)).toBe(1)

    const ann = { connectionId: 'c1', identity: 'ann', state: { cursor: { x: 5 } } }
    const bob = { connectionId: 'c2', identity: null }
    fake
      .sink('doc:7', undefined, true)
      .pushEvents([presenceEvent('doc:7', 'join', ann), presenceEvent('doc:7', 'join', bob)])
    await flush()
    expect(members.value).toEqual([ann, bob])
    expect(self.value).toEqual(ann)
    fake.sink('doc:7', undefined, true).pushEvents([presenceEvent('doc:7', 'leave', ann)])
    await flush()
    expect(members.value).toEqual([bob])
    expect(self.value).toBe(null)

    cursor.value.x = 2
    await nextTick()
    cursor.value = { x: 2 }
    await nextTick()
    expect(fake.sent).toEqual([
      ['doc:7', { cursor: { x: 1 } }],
      ['doc:7', { cursor: { x: 2 } }],
    ])

    scope.stop()
    expect(fake.sent.at(-1)).toEqual(['doc:7', null])
    expect(fake.sent).toHaveLength(3)
    expect([fake.calls.unsubscribe, fake.refs('doc:7', undefined, true)]).toEqual([1, 0])
  })

  it('only watches without a state, and leaves nothing when the scope stops', () => {
    const fake = presenceClient()
    const scope = effectScope()
    scope.run(() => usePresence(fake.client, 'doc:7'))
    expect(fake.refs('doc:7', undefined, true)).toBe(1)
    scope.stop()
    expect(fake.sent).toEqual([])
    expect(fake.calls.unsubscribe).toBe(1)
  })

  it('leaves when the state becomes null, and moves to a new topic', async () => {
    const fake = presenceClient()
    const topic = ref('doc:1')
    const state = ref<PresenceData | null>({ name: 'ann' })
    const scope = effectScope()
    scope.run(() => usePresence(fake.client, topic, state))
    state.value = null
    await nextTick()
    state.value = { name: 'ann' }
    await nextTick()
    topic.value = 'doc:2'
    await nextTick()
    expect(fake.sent).toEqual([
      ['doc:1', { name: 'ann' }],
      ['doc:1', null],
      ['doc:1', { name: 'ann' }],
      ['doc:1', null],
      ['doc:2', { name: 'ann' }],
    ])
    expect([fake.refs('doc:1', undefined, true), fake.refs('doc:2', undefined, true)]).toEqual([0, 1])
    scope.stop()
  })

  it('neither subscribes nor joins during server rendering', async () => {
    const fake = presenceClient()
    const Here = defineComponent({
      setup() {
        const { members } = usePresence(fake.client, 'doc:7', { name: 'ann' })
        return () => h('span', `${members.value.length} here`)
      },
    })
    expect(await renderToString(createSSRApp(Here))).toBe('<span>0 here</span>')
    expect([fake.calls.subscribe, fake.sent.length]).toEqual([0, 0])
  })
})
