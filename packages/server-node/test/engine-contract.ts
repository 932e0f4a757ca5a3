import { EPOCH_PATTERN, type EventFrame } from '@sluice/protocol'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type {
  AppendResult,
  Engine,
  EngineListener,
  EventInput,
  LostEvents,
  PresenceChange,
  SseCommandRequest,
} from '../src/engine/types'

/**
 * The engine contract: what the server core relies on from any engine, as one suite run
 * against every engine (the memory engine here, the Redis engine in packages/redis). Each case
 * works on "nodes": engines that share one store, as the server processes of one deployment do
 * (for the memory engine, one instance serves as every node).
 */
export interface EngineHarness {
  /** Creates nodes sharing one fresh store. */
  nodes(
    count: number,
    options?: { maxEvents?: number; maxAgeMs?: number; now?: () => number },
  ): Promise<Engine[]>
  /** Releases what `nodes` created. */
  cleanup(): Promise<void>
  /** True when nodes are separate engines, so holds and routing cross a real boundary. */
  distributed: boolean
}

const input = (n: number, ts = Date.now()): EventInput => ({
  kind: 'created',
  key: String(n),
  data: { n },
  ts,
})

/** The appended event, for appends made without a dedup key. */
export function appended(result: AppendResult): EventFrame {
  if (result.duplicate) throw new Error('unexpected duplicate')
  return result.event
}

/** Everything an engine tells one node's listener, in order. */
export function collect(engine: Engine) {
  const seen = {
    events: [] as EventFrame[],
    presence: [] as PresenceChange[],
    identity: [] as Array<[string, unknown]>,
    lost: [] as Array<[string, LostEvents]>,
    sseCommands: [] as SseCommandRequest[],
  }
  const listener: EngineListener = {
    event: (event) => seen.events.push(event),
    presence: (change) => seen.presence.push(change),
    identity: (id, message) => seen.identity.push([id, message]),
    lost: (topic, lost) => seen.lost.push([topic, lost]),
    sseCommands: (request) => {
      seen.sseCommands.push(request)
      return { status: 202, body: { accepted: 1, on: request.connectionId } }
    },
  }
  engine.subscribe(listener)
  return seen
}

export function describeEngineContract(name: string, harness: EngineHarness): void {
  describe(`engine contract: ${name}`, () => {
    afterEach(async () => {
      await harness.cleanup()
    })

    it('numbers events from 1 per topic under one epoch per log, and reports the head', async () => {
      const [engine] = (await harness.nodes(1)) as [Engine]
      const a1 = appended(await engine.append('a', input(1, 5)))
      const a2 = appended(await engine.append('a', input(2)))
      const b1 = appended(await engine.append('b', input(1)))
      expect([a1.seq, a2.seq, b1.seq]).toEqual([1, 2, 1])
      expect(a1.epoch).toBe(a2.epoch)
      expect(a1.epoch).not.toBe(b1.epoch)
      expect(a1.epoch).toMatch(EPOCH_PATTERN)
      expect(a1).toEqual({
        type: 'event',
        topic: 'a',
        epoch: a1.epoch,
        seq: 1,
        kind: 'created',
        key: '1',
        data: { n: 1 },
        ts: 5,
      })
      expect(await engine.head('a')).toEqual({ epoch: a1.epoch, seq: 2 })
    })

    it('gives an empty log seq 0 and a stable epoch', async () => {
      const [engine] = (await harness.nodes(1)) as [Engine]
      const head = await engine.head('x')
      expect(head.seq).toBe(0)
      expect(head.epoch).toMatch(EPOCH_PATTERN)
      expect(await engine.head('x')).toEqual(head)
    })

    it('reads the events after a position, in order, with their data intact', async () => {
      const [engine] = (await harness.nodes(1)) as [Engine]
      for (let n = 1; n <= 5; n++) await engine.append('t', input(n))
      const ts = Date.now()
      await engine.append('t', {
        kind: 'updated',
        key: 'big',
        data: { precise: 0.1 + 0.2, large: 2 ** 53 - 1, text: 'é\n"\u2028' },
        meta: { room: 'r1' },
        ts,
        publishId: 'p-1',
      })
      const { epoch } = await engine.head('t')
      const read = await engine.readAfter('t', { epoch, seq: 2 })
      expect(read.ok && read.events.map((e) => e.seq)).toEqual([3, 4, 5, 6])
      expect(read.ok && read.events.at(-1)).toEqual({
        type: 'event',
        topic: 't',
        epoch,
        seq: 6,
        kind: 'updated',
        key: 'big',
        data: { precise: 0.1 + 0.2, large: 2 ** 53 - 1, text: 'é\n"\u2028' },
        meta: { room: 'r1' },
        ts,
        publishId: 'p-1',
      })
      expect(await engine.readAfter('t', { epoch, seq: 6 })).toEqual({ ok: true, epoch, head: 6, events: [] })
    })

    it('answers epoch_changed, ahead and too_old (eviction by count)', async () => {
      const [engine] = (await harness.nodes(1, { maxEvents: 3 })) as [Engine]
      for (let n = 1; n <= 6; n++) await engine.append('t', input(n))
      const { epoch } = await engine.head('t')
      expect(await engine.readAfter('t', { epoch: 'other', seq: 1 })).toEqual({
        ok: false,
        reason: 'epoch_changed',
        epoch,
        head: 6,
      })
      expect(await engine.readAfter('t', { epoch, seq: 7 })).toEqual({
        ok: false,
        reason: 'ahead',
        epoch,
        head: 6,
      })
      // Events 4..6 are kept: resuming from 3 works, from 2 would need the evicted event 3.
      const fromThree = await engine.readAfter('t', { epoch, seq: 3 })
      expect(fromThree.ok && fromThree.events.map((e) => e.seq)).toEqual([4, 5, 6])
      expect(await engine.readAfter('t', { epoch, seq: 2 })).toEqual({
        ok: false,
        reason: 'too_old',
        epoch,
        head: 6,
      })
    })

    it('evicts events older than maxAgeMs, keeping the head', async () => {
      let now = 1_000
      const [engine] = (await harness.nodes(1, { maxAgeMs: 100, now: () => now })) as [Engine]
      await engine.append('t', input(1, 1_000))
      await engine.append('t', input(2, 1_050))
      const { epoch } = await engine.head('t')
      now = 1_120
      const read = await engine.readAfter('t', { epoch, seq: 1 })
      expect(read.ok && read.events.map((e) => e.seq)).toEqual([2])
      expect(await engine.readAfter('t', { epoch, seq: 0 })).toMatchObject({ ok: false, reason: 'too_old' })
      now = 1_200
      expect(await engine.readAfter('t', { epoch, seq: 2 })).toEqual({ ok: true, epoch, head: 2, events: [] })
      expect(await engine.readAfter('t', { epoch, seq: 1 })).toMatchObject({
        ok: false,
        reason: 'too_old',
        head: 2,
      })
    })

    it('keeps the retention a policy gives a topic, and the defaults elsewhere', async () => {
      let now = 1_000
      const nodes = await harness.nodes(2, { maxEvents: 5, maxAgeMs: 10_000, now: () => now })
      const policy = (topic: string) =>
        topic.startsWith('short:')
          ? { maxEvents: 2 }
          : topic.startsWith('young:')
            ? { maxAgeMs: 100 }
            : undefined
      // Every node of a deployment is given the same policy, as the server does from its rules.
      for (const node of nodes) node.configureRetention?.(policy)
      const [engine] = nodes as [Engine]
      if (engine.configureRetention === undefined) throw new Error('the engine has no configureRetention')
      for (let n = 1; n <= 4; n++) {
        await engine.append('short:a', input(n, now))
        await engine.append('long:a', input(n, now))
        await engine.append('young:a', input(n, now))
      }
      const short = await engine.head('short:a')
      expect(await engine.readAfter('short:a', { epoch: short.epoch, seq: 1 })).toMatchObject({
        ok: false,
        reason: 'too_old',
      })
      const kept = await engine.readAfter('short:a', { epoch: short.epoch, seq: 2 })
      expect(kept.ok && kept.events.map((e) => e.seq)).toEqual([3, 4])
      const long = await engine.head('long:a')
      const all = await engine.readAfter('long:a', { epoch: long.epoch, seq: 0 })
      expect(all.ok && all.events.map((e) => e.seq)).toEqual([1, 2, 3, 4])
      now = 1_200
      await engine.append('young:a', input(5, now))
      await engine.append('long:a', input(5, now))
      const young = await engine.head('young:a')
      expect(await engine.readAfter('young:a', { epoch: young.epoch, seq: 3 })).toMatchObject({
        ok: false,
        reason: 'too_old',
      })
      const stillLong = await engine.readAfter('long:a', { epoch: long.epoch, seq: 0 })
      expect(stillLong.ok && stillLong.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
    })

    it('applies a publish id once, whichever node the retry reaches', async () => {
      const [a, b] = (await harness.nodes(2)) as [Engine, Engine]
      const dedup = { key: 'alice\u0000p1', windowMs: 60_000, windowSize: 100 }
      const first = appended(await a.append('t', input(1), dedup))
      expect(await b.append('t', input(1), dedup)).toEqual({ duplicate: true, epoch: first.epoch, seq: 1 })
      expect(await a.append('t', input(1), dedup)).toEqual({ duplicate: true, epoch: first.epoch, seq: 1 })
      // Another publisher's id, or the same id on another topic, is another publish.
      expect((await b.append('t', input(2), { ...dedup, key: 'bob\u0000p1' })).duplicate).toBe(false)
      expect((await b.append('u', input(1), dedup)).duplicate).toBe(false)
      const read = await a.readAfter('t', { epoch: first.epoch, seq: 0 })
      expect(read.ok && read.events.map((e) => [e.seq, e.key])).toEqual([
        [1, '1'],
        [2, '2'],
      ])
    })

    it('orders appends to one topic across nodes and keeps each node in call order', async () => {
      const [a, b] = (await harness.nodes(2)) as [Engine, Engine]
      const calls: Array<Promise<AppendResult>> = []
      for (let n = 0; n < 100; n++) {
        calls.push(Promise.resolve(a.append('t', { kind: 'a', key: String(n), ts: Date.now() })))
        calls.push(Promise.resolve(b.append('t', { kind: 'b', key: String(n), ts: Date.now() })))
      }
      const results = (await Promise.all(calls)).map(appended)
      expect(results.map((e) => e.seq).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 200 }, (_, i) => i + 1),
      )
      const { epoch } = await a.head('t')
      const read = await b.readAfter('t', { epoch, seq: 0 })
      if (!read.ok) throw new Error('read failed')
      for (const kind of ['a', 'b']) {
        expect(read.events.filter((e) => e.kind === kind).map((e) => Number(e.key))).toEqual(
          Array.from({ length: 100 }, (_, i) => i),
        )
      }
    })

    it('delivers every event of a watched topic to every node, in seq order', async () => {
      const [a, b] = (await harness.nodes(2)) as [Engine, Engine]
      const onA = collect(a)
      const onB = collect(b)
      await a.watch('t')
      await b.watch('t')
      for (let n = 1; n <= 20; n++) await (n % 2 ? a : b).append('t', input(n))
      await vi.waitFor(() => expect(onB.events).toHaveLength(20))
      await vi.waitFor(() => expect(onA.events).toHaveLength(20))
      for (const seen of [onA, onB]) {
        expect(seen.events.map((e) => [e.seq, e.key])).toEqual(
          Array.from({ length: 20 }, (_, i) => [i + 1, String(i + 1)]),
        )
        expect(seen.lost).toEqual([])
      }
    })

    it('keeps presence across nodes: join, update and leave once each, listed on every node', async () => {
      const [a, b] = (await harness.nodes(2)) as [Engine, Engine]
      const onB = collect(b)
      await b.watch('room')
      const member = { connectionId: 'c1', identity: 'u1', state: { typing: false } }
      await a.setPresence('room', member)
      await a.setPresence('room', { ...member, state: { typing: true } })
      expect(await b.presence('room')).toEqual([
        { connectionId: 'c1', identity: 'u1', state: { typing: true } },
      ])
      await a.removePresence('room', 'c1')
      await a.removePresence('room', 'c1')
      expect(await b.presence('room')).toEqual([])
      await vi.waitFor(() => expect(onB.presence).toHaveLength(3))
      expect(onB.presence.map((change) => [change.topic, change.action, change.member.state])).toEqual([
        ['room', 'join', { typing: false }],
        ['room', 'update', { typing: true }],
        ['room', 'leave', { typing: true }],
      ])
    })

    it('routes identity messages to every node', async () => {
      const [a, b] = (await harness.nodes(2)) as [Engine, Engine]
      const onA = collect(a)
      const onB = collect(b)
      const frame = { type: 'reconnect', reason: 'SHUTTING_DOWN', retryAfterMs: 5 } as const
      await a.sendToIdentity('alice', { type: 'frame', frame })
      await vi.waitFor(() => expect(onB.identity).toHaveLength(1))
      await vi.waitFor(() => expect(onA.identity).toHaveLength(1))
      expect(onB.identity).toEqual([['alice', { type: 'frame', frame }]])
    })

    // One process has nothing to hold across: the Publisher holds its own appends.
    if (harness.distributed)
      it('holds appends from other nodes while a snapshot is taken, then lands them in order', async () => {
        const [a, b] = (await harness.nodes(2)) as [Engine, Engine]
        const release = await a.hold('t')
        let landed = 0
        const pending = [1, 2, 3].map((n) =>
          Promise.resolve(b.append('t', input(n))).then((result) => {
            landed++
            return appended(result)
          }),
        )
        // Another topic is not held.
        expect(appended(await b.append('u', input(1))).seq).toBe(1)
        expect((await a.head('t')).seq).toBe(0)
        expect(landed).toBe(0)
        release()
        const events = await Promise.all(pending)
        expect(events.map((e) => [e.seq, e.key])).toEqual([
          [1, '1'],
          [2, '2'],
          [3, '3'],
        ])
      })

    if (harness.distributed) {
      it('hands an SSE command POST to the node named, and answers null for a node that is not running', async () => {
        const [a, b] = (await harness.nodes(2)) as [Engine, Engine]
        const onA = collect(a)
        const request = { connectionId: `${a.nodeId}.c1`, key: 'k', body: '{"type":"ping"}' }
        expect(await b.forwardSseCommands?.(a.nodeId as string, request)).toEqual({
          status: 202,
          body: { accepted: 1, on: request.connectionId },
        })
        expect(onA.sseCommands).toEqual([request])
        expect(await b.forwardSseCommands?.('gone', request)).toBeNull()
      })
    }

    it('reports up while it can serve', async () => {
      const [engine] = (await harness.nodes(1)) as [Engine]
      expect(engine.status()).toBe('up')
    })
  })
}
