import { latest, type SluiceClient } from '@sluice/client'
import { cleanup, render } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SluiceProvider } from '../src/sluice-provider'
import { type UseCallResult, useCall } from '../src/use-call'
import { type RealtimeEvent, useEvent } from '../src/use-event'
import { type PresenceData, type PresenceMember, usePresence } from '../src/use-presence'
import { type UsePublishResult, usePublish } from '../src/use-publish'
import { useRealtime } from '../src/use-realtime'
import { useSignal } from '../src/use-signal'
import {
  closeAll,
  connect,
  recorder,
  startServer,
  until,
  useRecorded,
  withoutActEnvironment,
} from './real-server'

// The write and callback hooks with two clients on one real server: what one client does, the
// other sees, exactly once and in order. (Their edge cases are tested against test doubles
// beside each hook.)
withoutActEnvironment()

afterEach(async () => {
  cleanup()
  await closeAll()
})

async function opened(client: SluiceClient): Promise<string> {
  const { connectionId } = await until(client.$connection, (c) => c.connectionId !== null, 'the welcome')
  return connectionId as string
}

interface Seen {
  members: readonly PresenceMember[]
  self: PresenceMember | null
}

const annSeen = recorder<Seen>({ members: [], self: null })
const bobSeen = recorder<Seen>({ members: [], self: null })

function Room({ client, state, seen }: { client: SluiceClient; state: PresenceData; seen: typeof annSeen }) {
  useRecorded(seen, usePresence(client, 'room', state))
  return null
}

describe('usePresence on a real server', () => {
  it('two clients see both members with their state and themselves as self; unmounting leaves', async () => {
    const server = await startServer({ authorize: () => true })
    const annClient = connect(server)
    const bobClient = connect(server)
    render(<Room client={annClient} state={{ name: 'ann' }} seen={annSeen} />)
    const annMember = { connectionId: await opened(annClient), identity: null, state: { name: 'ann' } }
    await until(annSeen, (s) => s.self?.state !== undefined, "ann's own join with her state")
    const bobTree = render(<Room client={bobClient} state={{ name: 'bob' }} seen={bobSeen} />)
    const bobMember = { connectionId: await opened(bobClient), identity: null, state: { name: 'bob' } }

    const both = (s: Seen) =>
      s.members.length === 2 && s.members.every((member) => member.state !== undefined)
    expect(await until(annSeen, both, 'bob in ann’s list')).toEqual({
      members: [annMember, bobMember],
      self: annMember,
    })
    expect(await until(bobSeen, both, 'both in bob’s list')).toEqual({
      members: [annMember, bobMember],
      self: bobMember,
    })

    bobTree.unmount()
    expect(await until(annSeen, (s) => s.members.length === 1, 'bob’s leave')).toEqual({
      members: [annMember],
      self: annMember,
    })
  })
})

interface Message {
  id: string
  text: string
}

const messages = latest<Message>()

let publisher: UsePublishResult
const seenEvents = recorder<RealtimeEvent[]>([])
const annList = recorder<{ status: string; texts: string[]; seq: number | undefined }>({
  status: 'idle',
  texts: [],
  seq: undefined,
})

const stateOf = recorder<{ isPending: boolean; error: string | null }>({ isPending: false, error: null })

function Writer({ topic }: { topic: string }) {
  publisher = usePublish(topic)
  const { data, status, position } = useRealtime(topic, { merge: messages })
  useRecorded(annList, { status, texts: data.map((message) => message.text), seq: position?.seq })
  useRecorded(stateOf, { isPending: publisher.isPending, error: publisher.error?.code ?? null })
  return null
}

function Listener({ client, topic }: { client: SluiceClient; topic: string }) {
  // A new handler on every render: each event still reaches one handler, once.
  useEvent(client, topic, (event) => seenEvents.set([...seenEvents.get(), event]))
  return null
}

describe('usePublish and useEvent on a real server', () => {
  beforeEach(() => {
    seenEvents.set([])
    annList.set({ status: 'idle', texts: [], seq: undefined })
    stateOf.set({ isPending: false, error: null })
  })
  const message = (id: string, text: string) => ({ kind: 'created', key: id, data: { id, text } })

  it('what one client publishes (optimistically) the other client’s useEvent sees once each, in order', async () => {
    const server = await startServer({ authorize: () => true })
    const ann = connect(server)
    const bob = connect(server)
    render(
      <SluiceProvider client={ann}>
        <Writer topic="chat" />
      </SluiceProvider>,
    )
    render(<Listener client={bob} topic="chat" />)
    await until(annList, (s) => s.status === 'live', 'ann live')
    await opened(bob)

    const first = publisher.publishAsync(message('m1', 'one'), { optimistic: { merge: messages } })
    // Shown before the server has it.
    expect(await until(annList, (s) => s.texts.length === 1, 'the optimistic message')).toEqual({
      status: 'live',
      texts: ['one'],
      seq: undefined,
    })
    expect(await first).toEqual({ epoch: expect.any(String), seq: 1, duplicate: false })
    await publisher.publishAsync(message('m2', 'two'))
    await publisher.publishAsync(message('m3', 'three'), { optimistic: { merge: messages } })

    const events = await until(seenEvents, (list) => list.length >= 3, 'three events at bob')
    expect(events.map(({ seq, kind, key, data }) => ({ seq, kind, key, data }))).toEqual([
      { seq: 1, kind: 'created', key: 'm1', data: { id: 'm1', text: 'one' } },
      { seq: 2, kind: 'created', key: 'm2', data: { id: 'm2', text: 'two' } },
      { seq: 3, kind: 'created', key: 'm3', data: { id: 'm3', text: 'three' } },
    ])
    // Confirmed without doubling: each message once in ann's own list.
    expect(await until(annList, (s) => s.seq === 3, 'ann’s copy of the third')).toEqual({
      status: 'live',
      texts: ['one', 'two', 'three'],
      seq: 3,
    })
    // A server publish after them proves no fourth copy was on its way to bob: events arrive in order.
    await server.server.publish('chat', message('m4', 'four'))
    const after = await until(seenEvents, (list) => list.length >= 4, 'the server’s event at bob')
    expect(after.map((event) => event.key)).toEqual(['m1', 'm2', 'm3', 'm4'])
  })

  it('a refused publish sets FORBIDDEN, rolls its optimistic message back, and reaches nobody', async () => {
    const server = await startServer({
      authorize: (_identity, topic, action) => !(action === 'publish' && topic === 'locked'),
    })
    const ann = connect(server)
    const bob = connect(server)
    render(
      <SluiceProvider client={ann}>
        <Writer topic="locked" />
      </SluiceProvider>,
    )
    render(<Listener client={bob} topic="locked" />)
    await until(annList, (s) => s.status === 'live', 'ann live')
    await opened(bob)

    publisher.publish(message('m1', 'mine'), { optimistic: { merge: messages } })
    expect(await until(stateOf, (s) => s.error !== null, 'the refusal')).toEqual({
      isPending: false,
      error: 'FORBIDDEN',
    })
    expect(publisher.error?.message).toMatch(/ to locked: /)
    expect(await until(annList, (s) => s.texts.length === 0, 'the rollback')).toEqual({
      status: 'live',
      texts: [],
      seq: undefined,
    })
    // The server's own publish is the first event bob's handler gets: the refused one never came.
    await server.server.publish('locked', message('s1', 'from the server'))
    const events = await until(seenEvents, (list) => list.length >= 1, 'the server’s event at bob')
    expect(events.map((event) => [event.seq, event.key])).toEqual([[1, 's1']])
  })
})

interface Stats {
  open: number
  owner: string
}
let stats: UseCallResult<Stats>

function StatsView({ client, name }: { client: SluiceClient; name: string }) {
  stats = useCall<Stats>(client, name)
  return null
}

describe('useCall on a real server', () => {
  it('returns the procedure’s result to callAsync and data; a refused call sets the server code', async () => {
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
    render(<StatsView client={client} name="todos.stats" />)
    const result: Stats = await stats.callAsync({ owner: 'ann' })
    expect(result).toEqual({ open: 3, owner: 'ann' })

    cleanup()
    render(<StatsView client={client} name="todos.purge" />)
    await expect(stats.callAsync()).rejects.toMatchObject({ code: 'FORBIDDEN' })
  })
})

function Inbox({ client, seen }: { client: SluiceClient; seen: typeof annSignals }) {
  useSignal<{ invoice: string }>(client, 'invoice.ready', (data) => seen.set([...seen.get(), data.invoice]))
  return null
}
const annSignals = recorder<string[]>([])
const bobSignals = recorder<string[]>([])

describe('useSignal on a real server', () => {
  it('a signal to one connection reaches that client’s handler only', async () => {
    const server = await startServer()
    const ann = connect(server)
    const bob = connect(server)
    render(<Inbox client={ann} seen={annSignals} />)
    render(<Inbox client={bob} seen={bobSignals} />)
    const [annId, bobId] = await Promise.all([opened(ann), opened(bob)])

    expect(await server.server.signal({ connection: bobId }, 'invoice.ready', { invoice: 'for-bob' })).toBe(1)
    expect(await until(bobSignals, (list) => list.length >= 1, 'bob’s signal')).toEqual(['for-bob'])
    // Signals to one connection arrive in order: had bob's reached ann, it would come first.
    await server.server.signal({ connection: annId }, 'invoice.ready', { invoice: 'for-ann' })
    expect(await until(annSignals, (list) => list.length >= 1, 'ann’s signal')).toEqual(['for-ann'])
    expect(bobSignals.get()).toEqual(['for-bob'])
  })
})
