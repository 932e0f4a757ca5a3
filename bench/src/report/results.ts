import type { BundleSize } from '../bundle-size.ts'
import type { MachineInfo } from '../lib/machine.ts'
import type { ClientBurstRun, MergeRun, ResumeRun } from '../scenarios/client-types.ts'
import type { FanoutRun } from '../scenarios/fanout.ts'
import type { IdleRun } from '../scenarios/idle-memory.ts'
import type { LatencyRun } from '../scenarios/latency.ts'
import type { ClusterFanoutRun, ClusterLatencyRun, PublishRateRun } from '../scenarios/redis.ts'

/** Per target id, one entry per run, in run order (run i of every target is one A B C round). */
export type RunsByTarget<T> = Record<string, T[]>

/** Everything one `pnpm bench` measured; written to bench/results/ and rendered to docs. */
export interface BenchResults {
  machine: MachineInfo
  quick: boolean
  runs: number
  config: unknown
  notes: string[]
  durationSeconds?: number
  loadAverageAtEnd?: number
  fanout?: { ws: RunsByTarget<FanoutRun>; sse: RunsByTarget<FanoutRun> }
  latency?: {
    levels: {
      label: string
      perSecond: number
      subscribers: number
      durationMs: number
      runs: RunsByTarget<LatencyRun>
    }[]
  }
  idle?: { connections: number; runs: RunsByTarget<IdleRun> }
  resume?: { missed: number; runs: RunsByTarget<ResumeRun>; socketIoNote?: string }
  merge?: MergeRun[]
  burst?: ClientBurstRun[]
  bundles?: BundleSize[]
  /** Scenario 7; target ids are engines: `memory` (the reference) and `redis`. */
  redis?: {
    /** `redis-server --version`, shortened. */
    server: string
    publish: { durationMs: number; inFlight: number; topics: number; runs: RunsByTarget<PublishRateRun> }
    fanout: { subscribers: number; events: number; runs: RunsByTarget<ClusterFanoutRun> }
    latency: {
      subscribers: number
      perSecond: number
      durationMs: number
      runs: RunsByTarget<ClusterLatencyRun>
    }
  }
}
