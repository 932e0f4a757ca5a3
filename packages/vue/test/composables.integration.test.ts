import { ClientError, latest, type SluiceClient } from '@sluice/client'
import { afterEach, describe, expect, it } from 'vitest'
import { type App, createApp, defineComponent, type EffectScope, effectScope, shallowReactive } from 'vue'
import { useCall } from '../src/use-call'
import { type TopicEvent, useEvent } from '../src/use-event'
import { type PresenceData, type UsePresenceResult, usePresence } from '../src/use-presence'
import { usePublish } from '../src/use-publish'
import { useRealtime } from '../src/use-realtime'
import { useSignal } from '../src/use-signal'
import { closeAll, connect, opened, startServer, until } from './real-server'

// The write and callback composables with two clients on one real server: what one client does,
// the other sees, exactly once and in order. (Their edge cases are tested against test doubles
// beside each composable.)

const scopes: EffectScope[] = []
const apps: App[] = []

afterEach(async () => {
  for (const app of apps.splice(0)) app.unmount()
  for (const scope of scopes.splice(0)) scope.stop()
  await closeAll()
})

/** Runs composables in an effect scope that the test ends, or afterEach does. */
function inScope<T>(run: () => T): T & { scope: EffectScope } {
  const scope = effectScope()
  scopes.push(scope)
  return { ...(scope.run(run) as T), scope }
}

/** Mounts a component around `usePresence`, as an app would, so unmounting is what leaves. */
function mountPresence(client: SluiceClient, state: PresenceData) {
  let result: UsePresenceResult | undefined
  const app = createApp(
    defineComponent({
      setup() {
        result = usePresence(client, 'room', state)
        return () => null
      },
    }),
  )
  app.mount(document.createElement('div'))
  apps.push(app)
  return { app, presence: result as UsePresenceResult }
}

describe('usePresence on a real server', () => {
  it('two clients see both members with their state and themselves as self; unmounting leaves', async () => {
    const server = await startServer({ authorize: () => true })
    const annClient = connect(server)
    const bobClient = connect(server)
    const ann = mountPresence(annClient, { name: 'ann' }).presence
    const annMember = { connectionId: await opened(annClient), identity: null, state: { name: 'ann' } }
    await until(
      () => ann.self.value?.state,
      (state) => state !== undefined,
      "ann's own join with her state",
    )
    const bob = mountPresence(bobClient, { name: 'bob' })
    const bobMember = { connectionId: await opened(bobClient), identity: null, state: { name: 'bob' } }

    const both = (members: readonly unknown[]) =>
      members.length === 2 && members.every((member) => (member as { state?: unknown }).state !== undefined)
    expect(await until(() => ann.members.value, both, 'bob in ann’s list')).toEqual([annMember, bobMember])
    expect(ann.self.value).toEqual(annMember)
    expect(await until(() => bob.presence.members.value, both, 'both in bob’s list')).toEqual([
      annMember,
      bobMember,
    ])
    expect(bob.presence.self.value).toEqual(bobMember)

    bob.app.unmount()
    expect(
      await until(
        () => ann.members.value,
        (members) => members.length === 1,
        'bob’s leave',
      ),
    ).toEqual([annMember])
    expect(ann.self.value).toEqual(annMember)
  })
})

interface Message {
  id: string
  text: string
}

const messages = latest<Message>()
const message = (id: string, text: string) => ({ kind: 'created', key: id, data: { id, text } })

/** Ann writes and renders the topic; Bob only listens with useEvent. */
async function writerAndListener(authorize: Parameters<typeof startServer>[0], topic: string) {
  const server = await startServer(authorize)
  const annClient = connect(server)
  const bobClient = connect(server)
  const ann = inScope(() => ({
    list: useRealtime(annClient, topic, { merge: messages }),
    publisher: usePublish(annClient, topic),
  }))
  // Reactive, so until() sees each push.
  const seen = shallowReactive<TopicEvent[]>([])
  inScope(() => useEvent(bobClient, topic, (event) => seen.push(event)))
  await until(
    () => ann.list.value.status,
    (status) => status === 'live',
    'ann live',
  )
  await opened(bobClient)
  const texts = () => ann.list.value.data.map((m) => m.text)
  return { server, ann, seen, texts }
}

describe('usePublish and useEvent on a real server', () => {
  it('what one client publishes (optimistically) the other client’s useEvent sees once each, in order', async () => {
    const { server, ann, seen, texts } = await writerAndListener({ authorize: () => true }, 'chat')

    const first = ann.publisher.publish(message('m1', 'one'), { optimistic: { merge: messages } })
    // Shown before the server has it.
    expect(texts()).toEqual(['one'])
    expect(ann.list.value.position).toBe(null)
    expect(await first).toEqual({ epoch: expect.any(String), seq: 1, duplicate: false })
    await ann.publisher.publish(message('m2', 'two'))
    await ann.publisher.publish(message('m3', 'three'), { optimistic: { merge: messages } })

    await until(
      () => seen.length,
      (count) => count >= 3,
      'three events at bob',
    )
    expect(seen.map(({ seq, kind, key, data }) => ({ seq, kind, key, data }))).toEqual([
      { seq: 1, kind: 'created', key: 'm1', data: { id: 'm1', text: 'one' } },
      { seq: 2, kind: 'created', key: 'm2', data: { id: 'm2', text: 'two' } },
      { seq: 3, kind: 'created', key: 'm3', data: { id: 'm3', text: 'three' } },
    ])
    // Confirmed without doubling: each message once in ann's own list.
    await until(
      () => ann.list.value.position?.seq,
      (seq) => seq === 3,
      'ann’s copy of the third',
    )
    expect(texts()).toEqual(['one', 'two', 'three'])
    // A server publish after them proves no fourth copy was on its way to bob: events arrive in order.
    await server.server.publish('chat', message('m4', 'four'))
    await until(
      () => seen.length,
      (count) => count >= 4,
      'the server’s event at bob',
    )
    expect(seen.map((event) => event.key)).toEqual(['m1', 'm2', 'm3', 'm4'])
  })

  it('a refused publish sets FORBIDDEN, rolls its optimistic message back, and reaches nobody', async () => {
    const { server, ann, seen, texts } = await writerAndListener(
      { authorize: (_identity, topic, action) => !(action === 'publish' && topic === 'locked') },
      'locked',
    )

    const refused = ann.publisher.publish(message('m1', 'mine'), { optimistic: { merge: messages } })
    expect(texts()).toEqual(['mine'])
    expect(await refused).toBe(undefined)
    expect(ann.publisher.error.value).toBeInstanceOf(ClientError)
    expect((ann.publisher.error.value as ClientError).code).toBe('FORBIDDEN')
    expect(ann.publisher.error.value?.message).toMatch(/ to locked: /)
    expect(texts()).toEqual([])

    // The server's own publish is the first event bob's handler gets: the refused one never came.
    await server.server.publish('locked', message('s1', 'from the server'))
    await until(
      () => seen.length,
      (count) => count >= 1,
      'the server’s event at bob',
    )
    expect(seen.map((event) => [event.seq, event.key])).toEqual([[1, 's1']])
  })
})

describe('useCall on a real server', () => {
  interface Stats {
    open: number
    owner: string
  }

  it('returns the procedure’s result and keeps it as data; a refused call sets the server code', async () => {
    const server = await startServer({
      procedures: {
        'todos.stats': {
          guard: 'anyone',
          handler: (args: { owner: string }) => ({ open: 3, owner: args.owner }),
        },
        'todos.purge': { guard: 'nobody', handler: () => true },
      },
    })
    const client = connect(server)
    const stats = inScope(() => useCall<Stats>(client, 'todos.stats'))
    const result: Stats | undefined = await stats.call({ owner: 'ann' })
    expect(result).toEqual({ open: 3, owner: 'ann' })
    expect([stats.isPending.value, stats.error.value, stats.data.value]).toEqual([
      false,
      null,
      { open: 3, owner: 'ann' },
    ])

    const purge = inScope(() => useCall<boolean>(client, 'todos.purge'))
    expect(await purge.call()).toBe(undefined)
    expect((purge.error.value as ClientError).code).toBe('FORBIDDEN')
    expect(purge.data.value).toBe(undefined)
  })
})

describe('useSignal on a real server', () => {
  it('a signal to one connection reaches that client’s handler only', async () => {
    const server = await startServer()
    const annClient = connect(server)
    const bobClient = connect(server)
    const annSignals = shallowReactive<string[]>([])
    const bobSignals = shallowReactive<string[]>([])
    inScope(() => {
      useSignal<{ invoice: string }>(annClient, 'invoice.ready', (data) => annSignals.push(data.invoice))
      useSignal<{ invoice: string }>(bobClient, 'invoice.ready', (data) => bobSignals.push(data.invoice))
    })
    const [annId, bobId] = await Promise.all([opened(annClient), opened(bobClient)])

    expect(await server.server.signal({ connection: bobId }, 'invoice.ready', { invoice: 'for-bob' })).toBe(1)
    await until(
      () => bobSignals.length,
      (count) => count >= 1,
      'bob’s signal',
    )
    // Signals to one connection arrive in order: had bob's reached ann, it would come first.
    await server.server.signal({ connection: annId }, 'invoice.ready', { invoice: 'for-ann' })
    await until(
      () => annSignals.length,
      (count) => count >= 1,
      'ann’s signal',
    )
    expect(annSignals).toEqual(['for-ann'])
    expect(bobSignals).toEqual(['for-bob'])
  })
})
