import { fileURLToPath } from 'node:url'
import { Child } from '../lib/child.ts'
import { CONFIG } from '../lib/config.ts'
import { TARGETS } from '../lib/targets.ts'
import type { ClientBurstRun, MergeRun, ResumeRun } from './client-types.ts'
import { LOAD_CPU, SERVER_CPU } from './harness.ts'

const CLIENT_MAIN = fileURLToPath(new URL('../load/client-main.ts', import.meta.url))
const SERVER_MAIN = fileURLToPath(new URL('../servers/server-main.ts', import.meta.url))

async function withClientChild<T>(
  server: string | null,
  body: (client: Child, server: Child | null, port: number) => Promise<T>,
): Promise<T> {
  // --expose-gc: the merge scenario collects before each measurement (see merge-cost.ts).
  const client = new Child(CLIENT_MAIN, [], { cpu: LOAD_CPU, nodeArgs: ['--expose-gc'] })
  const serverChild =
    server === null
      ? null
      : new Child(SERVER_MAIN, [server, '{}'], { cpu: SERVER_CPU, nodeArgs: ['--expose-gc'] })
  try {
    const [, info] = (await Promise.all([client.ready, serverChild?.ready])) as [
      unknown,
      { port: number } | undefined,
    ]
    return await body(client, serverChild, info?.port ?? 0)
  } finally {
    await Promise.all([client.stop(), serverChild?.stop()])
  }
}

/** Scenario 5a: crud merge updates/s on 1k / 10k / 100k items vs a naive copy-the-array list. */
export function mergeScenario(): Promise<MergeRun[]> {
  const { sizes, updates } = CONFIG.merge
  return withClientChild(null, (client) =>
    client.call<MergeRun[]>('merge', { sizes, updates, runs: CONFIG.runs }),
  )
}

/**
 * Scenario 5b: the server publishes a burst back to back; the client's store and a React
 * component using `useRealtime` (happy-dom) count how often they notify and render.
 */
export function burstRun(transport: 'ws' | 'sse'): Promise<ClientBurstRun> {
  const events = CONFIG.burst.events
  return withClientChild('sluice', async (client, server, port) => {
    await client.call('burstSetup', { port, transport })
    await server!.call('burst', { events, yieldBetween: false })
    const result = await client.call<Omit<ClientBurstRun, 'transport'>>('burstCollect', { events })
    return { ...result, transport }
  })
}

/**
 * Scenario 4: a subscribed client loses its connection (a TCP proxy cuts it), the server
 * publishes `missed` events, the network comes back, and the client catches up. Sluice resumes
 * from its position; Socket.IO uses connection-state recovery.
 */
export function resumeRun(library: 'sluice' | 'socketio'): Promise<ResumeRun> {
  const missed = CONFIG.resume.missed
  const server = library === 'sluice' ? TARGETS['sluice-ws'].server : 'socketio-recovery'
  return withClientChild(server, async (client, serverChild, port) => {
    await client.call('resumeSetup', { port, library })
    // One event first: Socket.IO can only recover from the offset of a packet it received.
    await serverChild!.call('burst', { events: 1 })
    await client.call('resumeWarm')
    await client.call('resumeDrop')
    // Let the server see the connection close too, as it would after a real network loss.
    await new Promise((resolve) => setTimeout(resolve, 200))
    await serverChild!.call('burst', { events: missed, from: 1 })
    return client.call<ResumeRun>('resumeRestore', { missed })
  })
}
