// Derived topics over real WebSockets: the snapshot, the events and the resume of a topic
// computed from other topics by a reducer; a restart that goes on from the topic's last event;
// two nodes on one engine appending each state once; and what happens when source events are
// lost (the resync hook).
import type { EventFrame, Json } from '@sluice/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryEngine, type MemoryEngine } from '../src/engine/memory'
import type { EngineListener } from '../src/engine/types'
import type { ErrorContext } from '../src/options'
import { createSluiceServer } from '../src/server'
import { createTestServer, type TestServer } from '../src/testing'
import { ofType, WsPeer } from './helpers'

const servers: TestServer[] = []
const peers: WsPeer[] = []
afterEach(async () => {
  for (const peer of peers.splice(0)) peer.ws.terminate()
  await Promise.all(servers.splice(0).map((t) => t.close()))
})

async function start(options: Parameters<typeof createTestServer>[0] = {}) {
  const t = await createTestServer(options)
  servers.push(t)
  return t
}

async function subscribe(t: TestServer, topic: string, extra: Record<string, unknown> = {}) {
  const { peer } = await WsPeer.open(t.url)
  peers.push(peer)
  peer.send({ type: 'subscribe', id: 's', topic, ...extra })
  await peer.next(ofType('subscribed'))
  return peer
}

/** [seq, data, derivedFrom] of every event of the peer. */
const derivedEvents = (peer: WsPeer) =>
  peer.frames
    .filter((frame): frame is EventFrame => frame.type === 'event')
    .map((event) => [event.seq, event.data, event.meta?.derivedFrom])

/** Every event in the engine's log of a topic, as [data, derivedFrom]. */
function log(engine: MemoryEngine, topic: string) {
  const { epoch } = engine.head(topic)
  const read = engine.readAfter(topic, { epoch, seq: 0 })
  if (!read.ok) throw new Error(`the log of ${topic} is not readable: ${read.reason}`)
  return read.events.map((event) => [event.data, event.meta?.derivedFrom])
}

const count = { from: 'votes', initial: 0, reduce: (total: number) => total + 1 }

describe('derived topics', () => {
  it('publishes each new state as a set event, with a snapshot of the current state and resume like any topic', async () => {
    const t = await start()
    const votes = t.server.derive('votes:count', count)
    await votes.ready
    const first = await subscribe(t, 'votes:count', { snapshot: 'always' })
    expect(await first.next(ofType('snapshot'))).toMatchObject({ topic: 'votes:count', seq: 0, data: 0 })
    const positions = []
    for (let n = 0; n < 3; n++)
      positions.push(await t.server.publish('votes', { kind: 'created', key: `v${n}` }))
    const { epoch } = positions[0] as { epoch: string }
    await first.next(ofType('event', (frame) => frame.seq === 3))
    expect(derivedEvents(first)).toEqual([
      [1, 1, { votes: `${epoch}:1` }],
      [2, 2, { votes: `${epoch}:2` }],
      [3, 3, { votes: `${epoch}:3` }],
    ])
    expect(votes.state()).toBe(3)

    // A late subscriber's snapshot is the state at the head; a resume replays what it missed.
    const late = await subscribe(t, 'votes:count', { snapshot: 'always' })
    expect(await late.next(ofType('snapshot'))).toMatchObject({ seq: 3, data: 3 })
    const derivedEpoch = (first.frames.find((frame) => frame.type === 'event') as EventFrame).epoch
    const resumed = await subscribe(t, 'votes:count', { from: { epoch: derivedEpoch, seq: 1 } })
    await resumed.next(ofType('event', (frame) => frame.seq === 3))
    expect(derivedEvents(resumed).map(([seq, data]) => [seq, data])).toEqual([
      [2, 2],
      [3, 3],
    ])
  })

  it("answers the app's snapshot provider for other topics", async () => {
    const t = await start({ snapshot: (topic) => (topic === 'todos' ? ['from the app'] : undefined) })
    await t.server.derive('votes:count', count).ready
    const todos = await subscribe(t, 'todos', { snapshot: 'always' })
    expect(await todos.next(ofType('snapshot'))).toMatchObject({ data: ['from the app'] })
    const votes = await subscribe(t, 'votes:count', { snapshot: 'always' })
    expect(await votes.next(ofType('snapshot'))).toMatchObject({ data: 0 })
    const other = await subscribe(t, 'news', { snapshot: 'always' })
    expect(other.frames.map((frame) => frame.type)).toEqual(['welcome', 'subscribed'])
  })

  it('folds several sources, publishing only when the state changes', async () => {
    const t = await start()
    const board = t.server.derive<Record<string, number>>('game:leaderboard', {
      from: ['game:eu', 'game:us'],
      initial: {},
      reduce: (scores, event) => {
        const { player, points } = event.data as { player: string; points: number }
        if (points === 0) return scores
        return { ...scores, [player]: (scores[player] ?? 0) + points }
      },
    })
    await board.ready
    const peer = await subscribe(t, 'game:leaderboard')
    await t.server.publish('game:eu', { kind: 'created', data: { player: 'ada', points: 3 } })
    await t.server.publish('game:us', { kind: 'created', data: { player: 'bob', points: 0 } })
    await t.server.publish('game:us', { kind: 'created', data: { player: 'ada', points: 2 } })
    await peer.next(ofType('event', (frame) => frame.seq === 2))
    expect(derivedEvents(peer).map(([seq, data]) => [seq, data])).toEqual([
      [1, { ada: 3 }],
      [2, { ada: 5 }],
    ])
  })

  it('goes on from its last event after a restart, folding in what the source got meanwhile', async () => {
    const engine = createMemoryEngine()
    const before = await start({ engine })
    await before.server.derive('votes:count', count).ready
    await before.server.publish('votes', { kind: 'created' })
    await before.server.publish('votes', { kind: 'created' })
    await before.close()
    // Published while no server derived the count (another node, a backend over HTTP…).
    const writer = createSluiceServer({ engine, logger: false })
    await writer.publish('votes', { kind: 'created' })
    await writer.close()

    const after = await start({ engine })
    const derived = after.server.derive('votes:count', count)
    await derived.ready
    expect(derived.state()).toBe(3)
    await after.server.publish('votes', { kind: 'created' })
    const { epoch } = engine.head('votes')
    expect(log(engine, 'votes:count')).toEqual([
      [1, { votes: `${epoch}:1` }],
      [2, { votes: `${epoch}:2` }],
      [3, { votes: `${epoch}:3` }],
      [4, { votes: `${epoch}:4` }],
    ])
  })

  it('appends each state once when two nodes derive the same topic', async () => {
    const engine = createMemoryEngine()
    const [a, b] = [await start({ engine }), await start({ engine })]
    await Promise.all([a, b].map((node) => node?.server.derive('votes:count', count).ready))
    await a?.server.publish('votes', { kind: 'created' })
    await b?.server.publish('votes', { kind: 'created' })
    await a?.server.publish('votes', { kind: 'created' })
    const peer = await subscribe(b as TestServer, 'votes:count', { snapshot: 'always' })
    expect(await peer.next(ofType('snapshot'))).toMatchObject({ seq: 3, data: 3 })
    expect(log(engine, 'votes:count').map(([data]) => data)).toEqual([1, 2, 3])
  })

  it('calls resync when a source log was replaced, and publishes what it returns', async () => {
    // One topic log at most: a publish to another topic replaces the source's log (a new epoch).
    const engine = createMemoryEngine({ maxTopics: 2 })
    const resyncs: unknown[] = []
    const t = await start({ engine })
    const derived = t.server.derive('votes:count', {
      ...count,
      resync: async (state, lost) => {
        resyncs.push([state, lost])
        return 100
      },
    })
    await derived.ready
    await t.server.publish('votes', { kind: 'created' })
    await t.server.publish('other', { kind: 'created' }) // evicts the log of votes
    await t.server.publish('votes', { kind: 'created' }) // seq 1 of a new epoch
    const peer = await subscribe(t, 'votes:count', { snapshot: 'always' })
    expect(await peer.next(ofType('snapshot'))).toMatchObject({ data: 101 })
    expect(resyncs).toEqual([[1, { topic: 'votes', reason: 'epoch_changed' }]])
    expect(derived.state()).toBe(101)
  })

  it('keeps its state when source events are lost and no resync is given, going on after the loss', async () => {
    const engine = createMemoryEngine()
    let listener: EngineListener | undefined
    // The memory engine never loses events: this one lets the test say it did, as a networked engine does.
    const lossy = {
      ...engine,
      subscribe(next: EngineListener) {
        listener = next
        return engine.subscribe(next)
      },
    }
    const errors: string[] = []
    const t = await start({ engine: lossy, onError: (error) => errors.push((error as Error).message) })
    const derived = t.server.derive('votes:count', count)
    await derived.ready
    await t.server.publish('votes', { kind: 'created' })
    const { epoch } = engine.head('votes')
    // Events up to seq 2 never arrive here: delivery goes on after it.
    listener?.lost('votes', { reason: 'too_old', epoch, seq: 2 })
    await t.server.publish('votes', { kind: 'created' }) // seq 2: covered by the loss, not folded
    await t.server.publish('votes', { kind: 'created' }) // seq 3: folded
    const peer = await subscribe(t, 'votes:count', { snapshot: 'always' })
    expect(await peer.next(ofType('snapshot'))).toMatchObject({ data: 2 })
    expect(log(engine, 'votes:count')).toEqual([
      [1, { votes: `${epoch}:1` }],
      [2, { votes: `${epoch}:3` }],
    ])
    expect(errors).toEqual([])
  })

  it('skips an event its reducer throws on, reporting it', async () => {
    const errors: Array<[string, ErrorContext]> = []
    const t = await start({ onError: (error, context) => errors.push([(error as Error).message, context]) })
    const derived = t.server.derive<number>('sum', {
      from: 'numbers',
      initial: 0,
      reduce: (sum, event) => {
        if (typeof event.data !== 'number') throw new Error(`not a number: ${JSON.stringify(event.data)}`)
        return sum + event.data
      },
    })
    await derived.ready
    for (const data of [1, 'two', 3] as Json[]) await t.server.publish('numbers', { kind: 'created', data })
    const peer = await subscribe(t, 'sum', { snapshot: 'always' })
    expect(await peer.next(ofType('snapshot'))).toMatchObject({ data: 4 })
    expect(errors).toEqual([['not a number: "two"', { operation: 'derived:sum', topic: 'sum' }]])
  })

  it('refuses a bad topic or source, a topic derived twice or from itself, and no reduce', async () => {
    const t = await start({ derived: [{ topic: 'taken', ...count }] })
    const attempt = (topic: string, definition: unknown) => {
      try {
        t.server.derive(topic, definition as never)
        return 'derived'
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`
      }
    }
    expect(attempt('taken', count)).toBe('TypeError: derive "taken": the topic is derived already')
    expect(attempt('bad topic', count)).toBe('TypeError: derive "bad topic": not a valid topic name')
    expect(attempt('x', { ...count, from: [] })).toBe(
      'TypeError: derive "x": from must name one source topic or more',
    )
    expect(attempt('x', { ...count, from: ['ok', 'not ok'] })).toBe(
      'TypeError: derive "x": source "not ok" is not a valid topic name',
    )
    expect(attempt('x', { ...count, from: 'x' })).toBe(
      'TypeError: derive "x": a topic cannot be derived from itself',
    )
    expect(attempt('x', { from: 'votes', initial: 0 })).toBe(
      'TypeError: derive "x": reduce must be a function',
    )
  })
})
