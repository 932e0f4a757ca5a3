/**
 * Entry point of the load-generator child process: opens subscribers against one target,
 * counts what they receive, and reports counts, timing and its own CPU use (to show when the
 * load generator, not the server, is the limit). Run pinned to the other CPU.
 */
import { cpuUsage } from 'node:process'
import { openFileLimit } from '../lib/child.ts'
import { sleep } from '../lib/clock.ts'
import { serveRpc, signalReady } from '../lib/rpc.ts'
import { runQueueWaitNs } from '../lib/schedstat.ts'
import { percentile } from '../lib/stats.ts'
import { Recorder } from './recorder.ts'
import { openSubscriber, type Subscriber, type SubscriberSpec } from './subscribers.ts'

const recorder = new Recorder()
const subscribers: Subscriber[] = []
let expected = 0
let cpuStart = cpuUsage()
let waitStart = runQueueWaitNs()

serveRpc({
  openFiles: () => openFileLimit(),
  /** Opens `count` more subscribers, `concurrency` handshakes at a time (a bounded SYN backlog). */
  connect: async ({
    spec,
    count,
    concurrency,
  }: {
    spec: SubscriberSpec
    count: number
    concurrency: number
  }) => {
    const startedAt = performance.now()
    // Subscribers to several servers (nodes of one deployment) are opened by several calls.
    const before = subscribers.length
    let failed = 0
    let firstError: string | null = null
    for (let opened = 0; opened < count; ) {
      const batch = Math.min(concurrency, count - opened)
      const results = await Promise.allSettled(
        Array.from({ length: batch }, () => openSubscriber(spec, recorder)),
      )
      for (const result of results) {
        if (result.status === 'fulfilled') subscribers.push(result.value)
        else {
          failed++
          firstError ??= String(result.reason)
        }
      }
      opened += batch
    }
    return { connected: subscribers.length - before, failed, firstError, ms: performance.now() - startedAt }
  },
  arm: ({ eventsPerSubscriber, latency }: { eventsPerSubscriber: number; latency: boolean }) => {
    expected = eventsPerSubscriber * subscribers.length
    recorder.arm({ latency, expected })
    cpuStart = cpuUsage()
    waitStart = runQueueWaitNs()
    return { expected }
  },
  /**
   * Waits until every expected event arrived, or until nothing arrived for `idleMs` (the rest
   * is then counted as lost), or `timeoutMs` passed.
   */
  finish: async ({ idleMs, timeoutMs }: { idleMs: number; timeoutMs: number }) => {
    const deadline = performance.now() + timeoutMs
    let lastCount = -1
    let lastChange = performance.now()
    while (recorder.received < expected && performance.now() < deadline) {
      if (recorder.received !== lastCount) {
        lastCount = recorder.received
        lastChange = performance.now()
      } else if (performance.now() - lastChange > idleMs) break
      await sleep(5)
    }
    const cpu = cpuUsage(cpuStart)
    const wait = runQueueWaitNs()
    const result: Record<string, unknown> = {
      expected,
      received: recorder.received,
      bytes: recorder.bytes,
      firstAt: recorder.firstAt,
      lastAt: recorder.lastAt,
      cpuUs: cpu.user + cpu.system,
      waitUs: wait === null || waitStart === null ? null : (wait - waitStart) / 1000,
    }
    if (recorder.latencyMode) {
      const samples = recorder.sortedSamples()
      result.latency = {
        count: samples.length,
        p50: percentile(samples, 50),
        p99: percentile(samples, 99),
        max: percentile(samples, 100),
      }
    }
    return result
  },
  close: () => {
    for (const subscriber of subscribers.splice(0)) subscriber.close()
    return null
  },
})

signalReady({ pid: process.pid })
