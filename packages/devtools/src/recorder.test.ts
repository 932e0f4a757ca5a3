import { crud, presence } from '@sluice/client'
import { closeAll, connect, startServer, until, type Watchable } from '@sluice/test-support'
import { afterEach, expect, test } from 'vitest'
import { type Recorder, type RecorderSnapshot, recordClient } from './recorder'

afterEach(closeAll)

/** The recorder as a source `until` watches: its snapshot now and after each change. */
function snapshots(recorder: Recorder): Watchable<RecorderSnapshot> {
  return {
    subscribe(listener) {
      const off = recorder.subscribe(() => listener(recorder.snapshot()))
      listener(recorder.snapshot())
      return off
    },
  }
}

interface Todo {
  id: string
  title: string
}

test('records each topic frame with its position, the connection states and the commands awaiting answers', async () => {
  const server = await startServer({ authorize: () => true })
  const client = connect(server)
  const recorder = recordClient(client)
  const todos = client.subscribe('todos', { merge: crud<Todo>({ key: 'id' }) })

  const subscribing = await until(
    snapshots(recorder),
    (s) => s.pending.some((c) => c.type === 'subscribe'),
    'the subscribe',
  )
  expect(subscribing.pending.map(({ type, subject, sends }) => ({ type, subject, sends }))).toEqual([
    { type: 'subscribe', subject: 'todos', sends: 1 },
  ])
  await until(
    snapshots(recorder),
    (s) => s.topics.length === 1 && s.pending.length === 0,
    'the subscribed frame',
  )

  const result = await client.publish('todos', {
    kind: 'created',
    key: 't1',
    data: { id: 't1', title: 'Ship' },
  })
  const after = await until(snapshots(recorder), (s) => s.topics[0]!.events === 1, 'the published event')
  const [topic] = after.topics
  expect(topic!.position).toEqual({ epoch: result.epoch, seq: result.seq })
  expect(
    topic!.log.map(({ type, epoch, seq, kind, key, preview }) => ({ type, epoch, seq, kind, key, preview })),
  ).toEqual([
    { type: 'subscribed', epoch: result.epoch, seq: 0, kind: undefined, key: undefined, preview: undefined },
    {
      type: 'event',
      epoch: result.epoch,
      seq: 1,
      kind: 'created',
      key: 't1',
      preview: '{"id":"t1","title":"Ship"}',
    },
  ])
  expect(after.settled.map(({ type, subject, outcome }) => ({ type, subject, outcome }))).toEqual([
    { type: 'subscribe', subject: 'todos', outcome: 'subscribed' },
    { type: 'publish', subject: 'todos', outcome: 'ack' },
  ])
  expect(
    after.connection.map(({ status, transport, attempt, error }) => ({ status, transport, attempt, error })),
  ).toEqual([
    { status: 'idle', transport: null, attempt: 0, error: null },
    { status: 'connecting', transport: null, attempt: 0, error: null },
    { status: 'connecting', transport: 'ws', attempt: 0, error: null },
    { status: 'open', transport: 'ws', attempt: 0, error: null },
  ])
  todos.unsubscribe()
  recorder.stop()
})

test('records a refused command with its error code', async () => {
  const server = await startServer({ authorize: () => false })
  const client = connect(server)
  const recorder = recordClient(client)
  client.subscribe('todos', { merge: crud<Todo>({ key: 'id' }) })
  await client.publish('todos', { kind: 'created', key: 't1' }).catch(() => {})
  const refused = await until(
    snapshots(recorder),
    (s) => s.settled.some((c) => c.type === 'publish'),
    'the refused publish',
  )
  expect(refused.settled.find((c) => c.type === 'publish')!.outcome).toBe('error FORBIDDEN')
  recorder.stop()
})

test('keeps the presence members of each topic from the sync and the joins and leaves after it', async () => {
  const server = await startServer({ authorize: () => true })
  const ann = connect(server)
  const bob = connect(server)
  const recorder = recordClient(ann)
  ann.subscribe('room', { merge: presence(), presence: true })
  ann.setPresence('room', { name: 'ann' })
  await until(snapshots(recorder), (s) => s.topics[0]?.presence.length === 1, 'ann in the room')

  bob.subscribe('room', { merge: presence(), presence: true })
  bob.setPresence('room', { name: 'bob' })
  const both = await until(snapshots(recorder), (s) => s.topics[0]?.presence.length === 2, 'bob in the room')
  expect(both.topics[0]!.presence.map((member) => member.state)).toEqual([{ name: 'ann' }, { name: 'bob' }])

  bob.close()
  const left = await until(snapshots(recorder), (s) => s.topics[0]?.presence.length === 1, 'bob gone')
  expect(left.topics[0]!.presence.map((member) => member.state)).toEqual([{ name: 'ann' }])
  expect(
    left.topics[0]!.log.filter((entry) => entry.type === 'presence').map((entry) => entry.kind),
  ).toContain('leave')
  recorder.stop()
})

test('limit bounds each log, clear() forgets logs and settled commands but keeps positions', async () => {
  const server = await startServer({ authorize: () => true })
  const client = connect(server)
  const recorder = recordClient(client, { limit: 2 })
  client.subscribe('todos', { merge: crud<Todo>({ key: 'id' }) })
  await until(
    snapshots(recorder),
    (s) => s.topics.length === 1 && s.pending.length === 0,
    'the subscribed frame',
  )
  for (const id of ['a', 'b', 'c'])
    await server.server.publish('todos', { kind: 'created', key: id, data: { id, title: id } })
  const full = await until(snapshots(recorder), (s) => s.topics[0]!.events === 3, 'three events')
  expect(full.topics[0]!.log.map((entry) => entry.key)).toEqual(['b', 'c'])
  expect(full.connection).toHaveLength(2)
  recorder.clear()
  const cleared = recorder.snapshot()
  expect(cleared.topics[0]!.log).toEqual([])
  expect(cleared.topics[0]!.position).toEqual(full.topics[0]!.position)
  expect(cleared.settled).toEqual([])
  recorder.stop()
})

test('records a resync with its reason: resuming from a log the server no longer has', async () => {
  const server = await startServer({ authorize: () => true })
  await server.server.publish('todos', { kind: 'created', key: 'a', data: { id: 'a', title: 'a' } })
  const client = connect(server)
  const recorder = recordClient(client)
  const merge = crud<Todo>({ key: 'id' })
  // Data rendered on a server from an older log (its epoch is gone): the resume is refused.
  client.subscribe('todos', {
    merge,
    initialData: merge.initial(),
    initialPosition: { epoch: 'gone', seq: 7 },
  })
  const resynced = await until(snapshots(recorder), (s) => s.topics[0]?.resyncs === 1, 'the resync')
  const [topic] = resynced.topics
  expect(topic!.log.map(({ type, reason }) => ({ type, reason }))).toEqual([
    { type: 'subscribed', reason: 'epoch_changed' },
    { type: 'resync', reason: 'epoch_changed' },
  ])
  recorder.stop()
})
