/**
 * Entry point of a target-server child process: starts one target on 127.0.0.1 port 0, then
 * publishes on the orchestrator's command and reports its own CPU time and memory. Run pinned
 * to one CPU so the server's work is measured apart from the load generator's.
 */
import { writeHeapSnapshot } from 'node:v8'
import { openFileLimit } from '../lib/child.ts'
import { sleep, wallClockMs, yieldToEventLoop } from '../lib/clock.ts'
import { TOPIC } from '../lib/payload.ts'
import { serveRpc, signalReady } from '../lib/rpc.ts'
import { runQueueWaitNs } from '../lib/schedstat.ts'
import type { TargetOptions, TargetServer } from './target-server.ts'

const [target = '', optionsJson = '{}'] = process.argv.slice(2)
const options = JSON.parse(optionsJson) as TargetOptions

async function start(name: string): Promise<TargetServer> {
  switch (name) {
    case 'raw-ws':
      return (await import('./raw-ws.ts')).startRawWs()
    case 'socketio':
      return (await import('./socketio.ts')).startSocketIo()
    case 'socketio-recovery':
      return (await import('./socketio.ts')).startSocketIo({ recovery: true })
    case 'raw-sse':
      return (await import('./raw-sse.ts')).startRawSse()
    case 'better-sse':
      return (await import('./better-sse.ts')).startBetterSse()
    case 'sluice':
      return (await import('./sluice.ts')).startSluice(options)
    default:
      throw new Error(`unknown target ${name}`)
  }
}

const server = await start(target)
let cpuStart = process.cpuUsage()
let waitStart = runQueueWaitNs()

function startMeasuring(): void {
  cpuStart = process.cpuUsage()
  waitStart = runQueueWaitNs()
}

async function publishOne(i: number, sentAt?: number): Promise<void> {
  const result = server.publish(i, sentAt)
  if (result) await result
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('start the server with --expose-gc to measure memory')
  gc()
}

serveRpc({
  subscriberCount: () => server.subscriberCount(),
  /**
   * Restarts the `cpu` measurement without publishing: for a node that only delivers while
   * another node of the deployment publishes.
   */
  measure: () => {
    startMeasuring()
    return null
  },
  openFiles: () => openFileLimit(),
  /**
   * Publishes `events` back to back. Between two events the loop yields one macrotask so the
   * server can flush sockets and read; without it a synchronous loop would only measure how
   * fast userland buffers grow. `yieldBetween: false` publishes the whole burst in one go
   * (the client-render scenario wants a true burst).
   */
  burst: async ({
    events,
    from = 0,
    yieldBetween = true,
  }: {
    events: number
    from?: number
    yieldBetween?: boolean
  }) => {
    startMeasuring()
    const startedAt = wallClockMs()
    for (let i = from; i < from + events; i++) {
      await publishOne(i)
      if (yieldBetween) await yieldToEventLoop()
    }
    return { startedAt, endedAt: wallClockMs() }
  },
  /**
   * Publishes at a fixed rate, catching up on late ticks so the average rate holds. Each
   * payload carries the time its event was due, not when the loop got to it, so a server that
   * stalls its own publisher is charged for the wait (no coordinated omission).
   */
  rate: async ({ perSecond, durationMs }: { perSecond: number; durationMs: number }) => {
    startMeasuring()
    const total = Math.round((perSecond * durationMs) / 1000)
    const startedAt = wallClockMs()
    let published = 0
    let maxBehind = 0
    while (published < total) {
      const due = Math.min(total, Math.floor(((wallClockMs() - startedAt) * perSecond) / 1000) + 1)
      maxBehind = Math.max(maxBehind, due - published)
      while (published < due) {
        await publishOne(published, startedAt + (published * 1000) / perSecond)
        published++
      }
      await sleep(1)
    }
    return { startedAt, endedAt: wallClockMs(), published, maxBehind }
  },
  /**
   * Publishes for `durationMs` through the server API with `inFlight` publishes awaiting the
   * engine at all times (each of `inFlight` loops starts its next publish when its last one
   * resolves), round-robin over `topics` topics: one node's publish throughput, engine included.
   * Publishes still in flight at the deadline are waited for and counted.
   */
  pipeline: async ({
    durationMs,
    inFlight,
    topics,
  }: {
    durationMs: number
    inFlight: number
    topics: number
  }) => {
    const publishTo = server.publishTo?.bind(server)
    if (!publishTo) throw new Error(`${target} cannot publish to topics of its choosing`)
    const names = Array.from({ length: topics }, (_, n) => `${TOPIC}-${n}`)
    let published = 0
    let failed = 0
    let firstError: string | null = null
    startMeasuring()
    const startedAt = performance.now()
    const deadline = startedAt + durationMs
    const loop = async (first: number) => {
      for (let i = first; performance.now() < deadline; i += inFlight) {
        try {
          await publishTo(names[i % topics]!, i)
          published++
        } catch (error) {
          failed++
          firstError ??= error instanceof Error ? error.message : String(error)
        }
      }
    }
    await Promise.all(Array.from({ length: inFlight }, (_, n) => loop(n)))
    return { published, failed, firstError, ms: performance.now() - startedAt }
  },
  /**
   * CPU time (µs) this process used since the last burst/rate/pipeline command began, and how long (µs)
   * it waited for a CPU meanwhile (null where the kernel does not say).
   */
  cpu: () => {
    const used = process.cpuUsage(cpuStart)
    const wait = runQueueWaitNs()
    const waitUs = wait === null || waitStart === null ? null : (wait - waitStart) / 1000
    return { userUs: used.user, systemUs: used.system, waitUs }
  },
  /** Writes a V8 heap snapshot (for report/heap-summary.ts); returns its path. */
  heapSnapshot: ({ path }: { path: string }) => writeHeapSnapshot(path),
  memory: async () => {
    // Two passes with a pause: finalizers and weak callbacks run between them.
    collectGarbage()
    await sleep(50)
    collectGarbage()
    const usage = process.memoryUsage()
    return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external }
  },
})

signalReady({ port: server.port, pid: process.pid })
