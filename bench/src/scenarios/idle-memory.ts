import { CONFIG } from '../lib/config.ts'
import type { Target } from '../lib/targets.ts'
import { connectSubscribers, withPair } from './harness.ts'

export interface IdleRun {
  connections: number
  rssBytesPerConnection: number
  heapBytesPerConnection: number
  externalBytesPerConnection: number
}

interface Memory {
  rss: number
  heapUsed: number
  external: number
}

/** File descriptors beyond the connections: node, stdio, IPC, the listening socket... */
const FD_HEADROOM = 200

/**
 * Scenario 3: memory a server holds per idle subscribed connection: RSS and heap after a
 * forced GC, with N connections minus the same figures before any connection, divided by N.
 * `connections` may be lowered by the caller when the open-file limit cannot be raised.
 */
export async function idleRun(target: Target, connections: number): Promise<IdleRun> {
  return withPair(target, { openFiles: connections + FD_HEADROOM }, async (pair) => {
    const before = await pair.server.call<Memory>('memory')
    await connectSubscribers(pair, target, connections)
    // Let connection-time garbage (handshake buffers, welcome frames) become collectable.
    await new Promise((resolve) => setTimeout(resolve, 500))
    const after = await pair.server.call<Memory>('memory')
    return {
      connections,
      rssBytesPerConnection: (after.rss - before.rss) / connections,
      heapBytesPerConnection: (after.heapUsed - before.heapUsed) / connections,
      externalBytesPerConnection: (after.external - before.external) / connections,
    }
  })
}

/**
 * How many connections a child may hold: the number when `ulimit -n` can be raised
 * that far, otherwise as many as the hard limit allows (the report says so).
 */
export async function idleConnectionBudget(): Promise<{ connections: number; note: string | null }> {
  const wanted = CONFIG.idle.connections
  const { execFileSync } = await import('node:child_process')
  const hard = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim()
  const hardLimit = hard === 'unlimited' ? Number.POSITIVE_INFINITY : Number(hard)
  if (hardLimit >= wanted + FD_HEADROOM) return { connections: wanted, note: null }
  const connections = Math.max(100, hardLimit - FD_HEADROOM)
  return {
    connections,
    note: `the open-file hard limit is ${hard}, so ${connections} connections were used instead of ${wanted}`,
  }
}
