import type { Engine } from '@sluice/server-node'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { appended, collect } from '../../server-node/test/engine-contract'
import type { RedisEngineOptions } from '../src/index'
import { engineNodes } from './engine-nodes'
import { type RedisServer, type RedisServerOptions, startRedisServer } from './redis-server'
import { startTcpProxy, type TcpProxy } from './tcp-proxy'

/**
 * Real faults against a real redis-server, each ending in "never a silent gap": every event
 * reaches a watching node once and in order, or the node reports the loss with a reason.
 */
let redis: RedisServer | undefined
let proxy: TcpProxy | undefined

async function setup(serverOptions: RedisServerOptions = {}) {
  redis = await startRedisServer(serverOptions)
  return redis
}

const nodes = engineNodes()
const node = (server: RedisServer, options: RedisEngineOptions = {}) => nodes.node(server.url, options)

const input = (n: number) => ({ kind: 'created', key: String(n), ts: Date.now() })

/** Appends events n..m from the given node, one after another. */
async function appendRange(engine: Engine, topic: string, from: number, to: number) {
  for (let n = from; n <= to; n++) appended(await engine.append(topic, input(n)))
}

afterEach(async () => {
  await nodes.closeAll()
  await proxy?.close()
  proxy = undefined
  await redis?.stop()
  redis = undefined
})

describe('Redis restarted without persistence', () => {
  it('gives every watched topic a new epoch: a lost event, never a replay under old seqs', async () => {
    const server = await setup()
    const a = await node(server)
    const b = await node(server)
    const onB = collect(b)
    await b.watch('t')
    await appendRange(a, 't', 1, 3)
    await vi.waitFor(() => expect(onB.events).toHaveLength(3))
    const before = await a.head('t')

    await server.restart()
    await vi.waitFor(() => expect(onB.lost).toHaveLength(1))
    const [[topic, lost]] = onB.lost as [[string, { reason: string; epoch: string; seq: number }]]
    expect(topic).toBe('t')
    expect(lost.reason).toBe('epoch_changed')
    expect(lost.epoch).not.toBe(before.epoch)
    expect(lost.seq).toBe(0)

    // A client resuming from the old position is told, not replayed.
    await vi.waitFor(() => expect(a.status()).toBe('up'))
    expect(await a.readAfter('t', { epoch: before.epoch, seq: 3 })).toEqual({
      ok: false,
      reason: 'epoch_changed',
      epoch: lost.epoch,
      head: 0,
    })
    await appendRange(a, 't', 4, 5)
    await vi.waitFor(() => expect(onB.events).toHaveLength(5))
    expect(onB.events.map((e) => [e.epoch === lost.epoch, e.seq, e.key])).toEqual([
      [false, 1, '1'],
      [false, 2, '2'],
      [false, 3, '3'],
      [true, 1, '4'],
      [true, 2, '5'],
    ])
    expect(onB.lost).toHaveLength(1)
  })

  it('fails publishes fast with UNAVAILABLE while Redis is down, reports down, and recovers by itself', async () => {
    const server = await setup()
    const a = await node(server, { retryAfterMs: 750 })
    await appendRange(a, 't', 1, 1)
    await server.kill()
    await vi.waitFor(() => expect(a.status()).toBe('down'))
    const started = Date.now()
    await expect(a.append('t', input(2))).rejects.toMatchObject({
      name: 'ServerError',
      code: 'UNAVAILABLE',
      retryAfterMs: 750,
      topic: 't',
      message: 'the engine cannot reach Redis; publish to t was not applied',
    })
    await expect(a.watch('u')).rejects.toMatchObject({ code: 'UNAVAILABLE', topic: 'u' })
    // Fast: no wait for a reconnect, no queue in memory.
    expect(Date.now() - started).toBeLessThan(1_000)
    await server.start()
    await vi.waitFor(() => expect(a.status()).toBe('up'), { timeout: 5_000 })
    expect(appended(await a.append('t', input(3))).seq).toBe(1)
  })
})

describe('a Redis that answers but cannot serve', () => {
  it('answers UNAVAILABLE to a BUSY reply (a long script runs) and serves again after it', async () => {
    const server = await setup()
    const a = await node(server, { retryAfterMs: 500 })
    await server.command('CONFIG', 'SET', 'busy-reply-threshold', '50')
    // A script that spins until killed: every other client is answered BUSY meanwhile.
    const spinning = server
      .command('EVAL', 'local i = 0 while true do i = i + 1 end', '0')
      .catch((error: Error) => error)
    await vi.waitFor(async () => {
      await expect(a.append('t', input(1))).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        retryAfterMs: 500,
        message: 'the engine cannot reach Redis; publish to t was not applied',
      })
    })
    await vi.waitFor(async () => expect(await server.command('SCRIPT', 'KILL')).toBe('OK'))
    expect(String(await spinning)).toMatch(/killed/i)
    // Appends tried before the script started may have landed; none refused did.
    const { seq } = await a.head('t')
    expect(appended(await a.append('t', input(2))).seq).toBe(seq + 1)
  })
})

describe('closing while Redis is gone', () => {
  it('closes at once while the connections try to reconnect', async () => {
    const server = await setup()
    const a = await node(server, { reconnectDelay: () => 200 })
    await a.setPresence('room', { connectionId: 'c1', identity: null })
    await server.kill()
    await vi.waitFor(() => expect(a.status()).toBe('down'))
    const started = Date.now()
    await a.close()
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('gives up its goodbye after commandTimeoutMs when Redis stopped answering', async () => {
    const server = await setup()
    const a = await node(server, { commandTimeoutMs: 400 })
    await a.setPresence('room', { connectionId: 'c1', identity: null })
    // Frozen, not closed: the link still looks up, and the goodbye would wait on it.
    await server.command('CLIENT', 'PAUSE', '5000', 'ALL')
    const started = Date.now()
    await a.close()
    expect(Date.now() - started).toBeLessThan(1_500)
    expect(a.status()).toBe('down')
  })
})

describe('Redis restarted with AOF appendfsync always', () => {
  it('keeps epochs and positions across the restart: resume replays, no resync', async () => {
    const server = await setup({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] })
    const a = await node(server)
    const b = await node(server)
    const onB = collect(b)
    await b.watch('t')
    await appendRange(a, 't', 1, 3)
    const before = await a.head('t')
    await server.restart()
    await vi.waitFor(() => expect(a.status()).toBe('up'))
    await vi.waitFor(() => expect(b.status()).toBe('up'))
    await appendRange(a, 't', 4, 4)
    await vi.waitFor(() => expect(onB.events).toHaveLength(4))
    expect(onB.events.map((e) => [e.epoch, e.seq])).toEqual([1, 2, 3, 4].map((seq) => [before.epoch, seq]))
    expect(onB.lost).toEqual([])
    const read = await a.readAfter('t', { epoch: before.epoch, seq: 2 })
    expect(read.ok && read.events.map((e) => e.key)).toEqual(['3', '4'])
  })
})

describe('an old RDB snapshot restored', () => {
  it('changes the epoch: the stale seqs are never replayed as if current', async () => {
    const server = await setup()
    const a = await node(server)
    await appendRange(a, 't', 1, 2)
    await server.saveSnapshot()
    await appendRange(a, 't', 3, 5)
    const before = await a.head('t')
    await server.restoreSnapshot()
    await vi.waitFor(() => expect(a.status()).toBe('up'))
    // The restored log says head 2 under the old epoch; a client at 5 must not resume from it.
    const read = await a.readAfter('t', { epoch: before.epoch, seq: 5 })
    expect(read).toMatchObject({ ok: false, reason: 'epoch_changed', head: 0 })
    expect(read.epoch).not.toBe(before.epoch)
  })

  it('is caught by a node that saw a later head even when restarts are trusted', async () => {
    const server = await setup()
    const a = await node(server, { trustPersistence: true })
    const onA = collect(a)
    await a.watch('t')
    await appendRange(a, 't', 1, 2)
    await server.saveSnapshot()
    await appendRange(a, 't', 3, 5)
    await vi.waitFor(() => expect(onA.events).toHaveLength(5))
    const before = await a.head('t')
    await server.restoreSnapshot()
    await vi.waitFor(() => expect(onA.lost).toHaveLength(1))
    expect(onA.lost[0]?.[1]).toMatchObject({ reason: 'epoch_changed', seq: 0 })
    expect(onA.lost[0]?.[1].epoch).not.toBe(before.epoch)
  })
})

describe('a replica promoted after it missed writes', () => {
  it('changes the epoch of every watched topic: the missed seqs are never served as current', async () => {
    // No delay before the first sync (the default waits 5 s for more replicas to join).
    const primary = await setup({ args: ['--repl-diskless-sync-delay', '0'] })
    const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] })
    try {
      await vi.waitFor(
        async () =>
          expect(String(await replica.command('INFO', 'replication'))).toContain('master_link_status:up'),
        { timeout: 5_000 },
      )
      // One endpoint (a managed Redis, a proxy) that a failover moves from primary to replica.
      proxy = await startTcpProxy(primary.port)
      const endpoint = { ...primary, url: `redis://127.0.0.1:${proxy.port}` } as RedisServer
      // Both trust persistence (as with AOF always), so the run_id alone would let the replica's
      // log pass: what catches it is the head they already saw (5) above the one it has (3).
      const a = await node(endpoint, { trustPersistence: true })
      const b = await node(endpoint, { trustPersistence: true })
      const onA = collect(a)
      const onB = collect(b)
      await a.watch('t')
      await b.watch('t')
      await appendRange(a, 't', 1, 3)
      await vi.waitFor(async () => expect(await replica.command('XLEN', 'sluice:{t}:log')).toBe(3))
      // The replica stops following and misses 4 and 5; then the primary dies and the endpoint
      // moves to the replica, promoted.
      await replica.command('REPLICAOF', 'NO', 'ONE')
      await appendRange(a, 't', 4, 5)
      await vi.waitFor(() => expect(onB.events).toHaveLength(5))
      const before = await a.head('t')
      await primary.kill()
      proxy.retarget(replica.port)
      for (const seen of [onA, onB]) {
        await vi.waitFor(() => expect(seen.lost).toHaveLength(1), { timeout: 5_000 })
        expect(seen.lost[0]?.[1]).toMatchObject({ reason: 'epoch_changed' })
        expect(seen.lost[0]?.[1].epoch).not.toBe(before.epoch)
      }
      expect(await a.readAfter('t', { epoch: before.epoch, seq: 5 })).toMatchObject({
        ok: false,
        reason: 'epoch_changed',
      })
    } finally {
      // The engines say goodbye to the promoted replica before it goes.
      await nodes.closeAll()
      await replica.stop()
    }
  })
})

describe('a cut or stalled bus', () => {
  it('fills the events published while the subscriber connection was killed, from the log', async () => {
    const server = await setup()
    const a = await node(server)
    const b = await node(server)
    const onB = collect(b)
    await b.watch('t')
    await appendRange(a, 't', 1, 2)
    await vi.waitFor(() => expect(onB.events).toHaveLength(2))
    // Kill every pub/sub connection and publish while they reconnect.
    const killed = server.command('CLIENT', 'KILL', 'TYPE', 'pubsub')
    const publishing = appendRange(a, 't', 3, 40)
    expect(Number(await killed)).toBeGreaterThanOrEqual(2)
    await publishing
    await vi.waitFor(() => expect(onB.events).toHaveLength(40))
    expect(onB.events.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    expect(onB.lost).toEqual([])
  })

  it('fills a loss with no event after it: the reconnect checks every watched topic', async () => {
    const server = await setup()
    const a = await node(server)
    const b = await node(server)
    const onB = collect(b)
    await b.watch('t')
    const { subscriber } = await b.clientIds()
    // Pause only b's pub/sub deliveries is not possible; kill b's subscriber, then publish once.
    await server.command('CLIENT', 'KILL', 'ID', String(subscriber))
    await appendRange(a, 't', 1, 1)
    await vi.waitFor(() => expect(onB.events.map((e) => e.seq)).toEqual([1]))
    expect(onB.lost).toEqual([])
  })

  it('replaces a subscriber connection that went silent: the probe notices, the log fills the gap', async () => {
    const server = await setup()
    proxy = await startTcpProxy(server.port)
    const a = await node(server)
    // b reaches Redis through the proxy: connection 0 runs commands, connection 1 is its bus.
    const b = await node({ ...server, url: `redis://127.0.0.1:${proxy.port}` } as RedisServer, {
      probeIntervalMs: 100,
      probeTimeoutMs: 100,
    })
    const onB = collect(b)
    await b.watch('t')
    await appendRange(a, 't', 1, 3)
    await vi.waitFor(() => expect(onB.events).toHaveLength(3))
    expect(proxy.accepted).toBe(2)
    proxy.silence(1)
    await appendRange(a, 't', 4, 12)
    await vi.waitFor(() => expect(onB.events).toHaveLength(12), { timeout: 3_000 })
    expect(onB.events.map((e) => e.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
    expect(onB.lost).toEqual([])
    // A third connection replaced the silent one.
    expect(proxy.accepted).toBe(3)
  })

  it('keeps delivery through CLIENT PAUSE: nothing is lost, delivery resumes after it', async () => {
    const server = await setup()
    const a = await node(server, { commandTimeoutMs: 5_000 })
    const b = await node(server, { probeIntervalMs: 100, probeTimeoutMs: 100 })
    const onB = collect(b)
    await b.watch('t')
    await appendRange(a, 't', 1, 3)
    await vi.waitFor(() => expect(onB.events).toHaveLength(3))
    await server.command('CLIENT', 'PAUSE', '500', 'ALL')
    const during = appendRange(a, 't', 4, 10)
    await during
    await vi.waitFor(() => expect(onB.events).toHaveLength(10))
    expect(onB.events.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1))
    expect(onB.lost).toEqual([])
  })
})
