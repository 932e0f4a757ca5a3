/**
 * Entry point of the client-side child for the scenarios that use the real Sluice client:
 * merge cost (5a), a burst rendered through React (5b) and resume after a reconnect (4).
 * Pinned to the load CPU; the server, where one is needed, runs in the server child.
 */
import { createClient, crud, type SluiceClient } from '@sluice/client'
import { io, type Socket } from 'socket.io-client'
import { WebSocket } from 'ws'
import { sleep, wallClockMs } from '../lib/clock.ts'
import { TOPIC } from '../lib/payload.ts'
import { serveRpc, signalReady } from '../lib/rpc.ts'
import type { ClientBurstRun, MergeRun, ResumeRun } from '../scenarios/client-types.ts'
import { CountingProxy } from './counting-proxy.ts'
import { measureMerge } from './merge-cost.ts'
import { mountBurstView } from './react-view.ts'

interface Item {
  id: string
  title: string
  done: boolean
  n: number
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(2)
  }
}

// Reconnect at once: the scenario measures the catch-up, not a backoff curve.
const RETRY = { baseMs: 5, factor: 1, maxMs: 5 }

let view: ReturnType<typeof mountBurstView> | null = null
let proxy: CountingProxy | null = null
let sluice: { client: SluiceClient; items: () => number } | null = null
let socketIo: { socket: Socket; received: number; lastAt: number } | null = null

serveRpc({
  merge: ({ sizes, updates, runs }: { sizes: number[]; updates: number; runs: number }): MergeRun[] =>
    measureMerge(sizes, updates, runs),

  burstSetup: async ({ port, transport }: { port: number; transport: 'ws' | 'sse' }) => {
    const client = createClient({
      url: `http://127.0.0.1:${port}/realtime`,
      transports: [transport],
      WebSocket,
    })
    view = mountBurstView(client, TOPIC, crud<Item>())
    await until(() => view!.status() === 'live', 10_000, 'the subscription to be live')
    view.resetCounts()
    return null
  },

  burstCollect: async ({ events }: { events: number }): Promise<Omit<ClientBurstRun, 'transport'>> => {
    const startedAt = performance.now()
    await until(() => view!.storeItems() >= events, 30_000, 'every burst event in the store')
    // Let React commit what the last store notification scheduled.
    await until(() => view!.renderedItems() >= events, 10_000, 'React to render every item')
    await sleep(50)
    const result = {
      events,
      storeNotifications: view!.storeNotifications(),
      reactRenders: view!.reactRenders(),
      itemsRendered: view!.renderedItems(),
      ms: performance.now() - startedAt,
    }
    view!.unmount()
    view = null
    return result
  },

  resumeSetup: async ({ port, library }: { port: number; library: 'sluice' | 'socketio' }) => {
    proxy = new CountingProxy(port)
    const proxyPort = await proxy.listen()
    if (library === 'sluice') {
      const client = createClient({
        url: `http://127.0.0.1:${proxyPort}/realtime`,
        transports: ['ws'],
        WebSocket,
        backoff: RETRY,
      })
      const subscription = client.subscribe(TOPIC, { merge: crud<Item>() })
      sluice = { client, items: () => subscription.$state.get().data.items.length }
      await until(() => subscription.$state.get().status === 'live', 10_000, 'the subscription to be live')
    } else {
      const socket = io(`http://127.0.0.1:${proxyPort}`, {
        transports: ['websocket'],
        reconnectionDelay: RETRY.baseMs,
        reconnectionDelayMax: RETRY.maxMs,
        randomizationFactor: 0,
      })
      const state = { socket, received: 0, lastAt: 0 }
      socket.on('event', () => {
        state.received++
        state.lastAt = wallClockMs()
      })
      socketIo = state
      await until(() => socket.connected, 10_000, 'Socket.IO to connect')
    }
    return null
  },

  /** Waits for the warm-up event, then counts from zero. */
  resumeWarm: async () => {
    if (sluice) await until(() => sluice!.items() === 1, 5_000, 'the warm-up event')
    else {
      await until(() => socketIo!.received === 1, 5_000, 'the warm-up event')
      socketIo!.received = 0
    }
    return null
  },

  resumeDrop: async () => {
    proxy!.drop()
    if (sluice)
      await until(() => sluice!.client.$connection.get().status !== 'open', 5_000, 'the client to notice')
    else await until(() => !socketIo!.socket.connected, 5_000, 'Socket.IO to notice')
    return null
  },

  resumeRestore: async ({ missed }: { missed: number }): Promise<ResumeRun> => {
    const accepted = proxy!.connections.length
    proxy!.restore()
    let received = 0
    let doneAt = 0
    if (sluice) {
      const { items } = sluice
      await until(() => items() >= missed + 1, 30_000, 'the missed events')
      doneAt = wallClockMs()
      received = items() - 1
    } else {
      // Without a recovery nothing arrives: give up early and report what came.
      await until(() => socketIo!.received >= missed, 5_000, 'the missed events').catch(() => {})
      doneAt = socketIo!.lastAt
      received = socketIo!.received
    }
    const connection = proxy!.connections[accepted]
    if (!connection) throw new Error('the client did not reconnect')
    const recovered = sluice ? received === missed : socketIo!.socket.recovered
    sluice?.client.close()
    socketIo?.socket.disconnect()
    proxy!.close()
    sluice = null
    socketIo = null
    const ms = received >= missed ? doneAt - connection.acceptedAt : Number.NaN
    return { missed, received, ms, bytes: connection.bytesDown, recovered }
  },
})

signalReady({ pid: process.pid })
