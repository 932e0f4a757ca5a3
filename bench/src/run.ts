/**
 * `pnpm bench`: runs every scenario, writes raw results to bench/results/ and the report to
 * docs/BENCHMARKS.md. Servers run pinned to CPU 0 and load generators to CPU 1 (taskset);
 * targets alternate A B C A B C... so drift on this shared machine hits them alike.
 * `BENCH_QUICK=1` shrinks every scenario for a smoke run; `BENCH_ONLY=fanout,latency` runs a
 * subset (`BENCH_ONLY=redis`: the Redis engine alone). Either leaves docs/BENCHMARKS.md alone
 * (`node src/report/render.ts <results.json>` renders any results file).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { measureBundles } from './bundle-size.ts'
import { buildStalePackages } from './lib/build-packages.ts'
import { tasksetAvailable } from './lib/child.ts'
import { CONFIG, ONLY, QUICK } from './lib/config.ts'
import { machineInfo } from './lib/machine.ts'
import { redisServerVersion, startBenchRedis } from './lib/redis-server.ts'
import { TARGETS, type Target } from './lib/targets.ts'
import { renderReport } from './report/markdown.ts'
import type { BenchResults, RunsByTarget } from './report/results.ts'
import { burstRun, mergeScenario, resumeRun } from './scenarios/client.ts'
import { fanoutRun } from './scenarios/fanout.ts'
import { interleave, SERVER_CPU } from './scenarios/harness.ts'
import { idleConnectionBudget, idleRun } from './scenarios/idle-memory.ts'
import { latencyRun } from './scenarios/latency.ts'
import {
  clusterFanoutRun,
  clusterLatencyRun,
  DEPLOYMENTS,
  PUBLISH_ENGINES,
  publishRateRun,
} from './scenarios/redis.ts'

const startedAt = performance.now()
const log = (line: string) =>
  console.log(`[bench ${((performance.now() - startedAt) / 1000).toFixed(0)}s] ${line}`)
const wants = (scenario: string) => ONLY === null || ONLY.has(scenario)

const results: BenchResults = {
  machine: machineInfo(),
  quick: QUICK,
  runs: CONFIG.runs,
  config: CONFIG,
  notes: [],
}
if (!tasksetAvailable)
  results.notes.push('taskset is not available: servers and load generators were not pinned to CPUs.')
if (QUICK)
  results.notes.push('BENCH_QUICK=1: reduced sizes, one run per target; figures are a smoke test only.')

const unbuilt = buildStalePackages(log, wants('redis') ? ['redis'] : [])
const sluiceReady = !unbuilt.some(
  (name) => name === 'protocol' || name === 'client' || name === 'server-node',
)
const redisReady = sluiceReady && !unbuilt.includes('redis')
if (unbuilt.length > 0)
  results.notes.push(`Could not build @sluice/${unbuilt.join(', @sluice/')}: their targets were skipped.`)

const pick = (ids: (keyof typeof TARGETS)[]): Target[] =>
  ids.map((id) => TARGETS[id]).filter((target) => sluiceReady || !target.sluice)
const toRecord = <T>(map: Map<string, T[]>): RunsByTarget<T> => Object.fromEntries(map)

if (wants('fanout')) {
  log(`fan-out: ${CONFIG.fanout.subscribers} subscribers × ${CONFIG.fanout.events} events`)
  const ws = await interleave(pick(['raw-ws', 'socketio', 'sluice-ws']), CONFIG.runs, fanoutRun, log)
  const sse = await interleave(pick(['raw-sse', 'better-sse', 'sluice-sse']), CONFIG.runs, fanoutRun, log)
  results.fanout = { ws: toRecord(ws), sse: toRecord(sse) }
}

if (wants('latency')) {
  const { subscribers, perSecond, durationMs } = CONFIG.latency
  const label = `${subscribers} subscribers × ${perSecond} events/s for ${durationMs / 1000} s`
  log(`latency: ${label}`)
  if (perSecond !== CONFIG.latency.issuePerSecond) {
    results.notes.push(
      `Latency ran at ${perSecond} events/s, not the issue's ${CONFIG.latency.issuePerSecond}: ${subscribers} × ${CONFIG.latency.issuePerSecond}/s = ${subscribers * CONFIG.latency.issuePerSecond} deliveries/s is beyond what any target (raw ws included) delivers from one core of this machine (scenario 1), so every target would only queue and a run would take minutes. \`BENCH_LATENCY_RATE=${CONFIG.latency.issuePerSecond} pnpm bench\` runs the issue's rate.`,
    )
  }
  const runs = await interleave(
    pick(['raw-ws', 'socketio', 'sluice-ws']),
    CONFIG.latencyRuns,
    latencyRun,
    log,
  )
  results.latency = { levels: [{ label, perSecond, subscribers, durationMs, runs: toRecord(runs) }] }
}

if (wants('idle')) {
  const budget = await idleConnectionBudget()
  if (budget.note) results.notes.push(`Idle connections: ${budget.note}.`)
  log(`idle memory: ${budget.connections} connections`)
  const targets = pick(['raw-ws', 'socketio', 'sluice-ws', 'raw-sse', 'better-sse', 'sluice-sse'])
  const runs = await interleave(targets, CONFIG.runs, (target) => idleRun(target, budget.connections), log)
  results.idle = { connections: budget.connections, runs: toRecord(runs) }
}

if (wants('resume') && sluiceReady) {
  log(`resume: ${CONFIG.resume.missed} missed events`)
  const libraries = [
    { id: 'sluice', label: 'Sluice (WS)' },
    { id: 'socketio', label: 'Socket.IO (connection-state recovery)' },
  ] as const
  const runs = await interleave(libraries, CONFIG.runs, (library) => resumeRun(library.id), log)
  results.resume = { missed: CONFIG.resume.missed, runs: toRecord(runs) }
}

if (wants('client') && sluiceReady) {
  log('client: crud merge cost')
  results.merge = await mergeScenario()
  log(`client: burst of ${CONFIG.burst.events} events through React`)
  results.burst = []
  for (let run = 0; run < CONFIG.runs; run++) {
    for (const transport of ['ws', 'sse'] as const) {
      const burst = await burstRun(transport)
      log(`  run ${run + 1}/${CONFIG.runs} ${transport}: ${JSON.stringify(burst)}`)
      results.burst.push(burst)
    }
  }
}

if (wants('redis') && redisReady) {
  const server = redisServerVersion()
  if (server === null) {
    results.notes.push(
      'Redis engine: no `redis-server` to run (set `BENCH_REDIS_SERVER` to its path); scenario 7 was skipped.',
    )
  } else {
    const { publish } = CONFIG.redis
    const { subscribers, perSecond } = CONFIG.latency
    const latencyMs = CONFIG.redis.latencyDurationMs
    const redis = await startBenchRedis(SERVER_CPU)
    try {
      log(`redis: publish throughput, ${publish.inFlight} in flight over ${publish.topics} topics`)
      const publishRuns = await interleave(
        PUBLISH_ENGINES,
        CONFIG.runs,
        (engine, run) => publishRateRun(engine.id, redis, run),
        log,
      )
      log(
        `redis: fan-out over two nodes, ${CONFIG.fanout.subscribers} subscribers × ${CONFIG.fanout.events} events`,
      )
      const fanoutRuns = await interleave(
        DEPLOYMENTS,
        CONFIG.runs,
        (deployment, run) => clusterFanoutRun(deployment.id, redis, run),
        log,
      )
      log(
        `redis: cross-node latency, ${subscribers} subscribers × ${perSecond} events/s for ${latencyMs / 1000} s`,
      )
      const latencyRuns = await interleave(
        DEPLOYMENTS,
        CONFIG.runs,
        (deployment, run) => clusterLatencyRun(deployment.id, redis, run),
        log,
      )
      results.redis = {
        server,
        publish: { ...publish, runs: toRecord(publishRuns) },
        fanout: { ...CONFIG.fanout, runs: toRecord(fanoutRuns) },
        latency: { subscribers, perSecond, durationMs: latencyMs, runs: toRecord(latencyRuns) },
      }
    } finally {
      await redis.stop()
    }
  }
}

if (wants('bundle')) {
  log('bundle sizes')
  results.bundles = await measureBundles()
}

results.durationSeconds = (performance.now() - startedAt) / 1000
results.loadAverageAtEnd = loadavg()[0] ?? Number.NaN
const resultsDir = new URL('../results/', import.meta.url)
mkdirSync(resultsDir, { recursive: true })
const json = `${JSON.stringify(results, null, 2)}\n`
const stamp = results.machine.date.replace(/[:.]/g, '-')
writeFileSync(new URL(`${QUICK ? 'quick-' : ''}${stamp}.json`, resultsDir), json)
writeFileSync(new URL(QUICK ? 'latest-quick.json' : 'latest.json', resultsDir), json)
log(`raw results in bench/results/ (${results.durationSeconds.toFixed(0)} s in all)`)

if (ONLY === null && !QUICK) {
  writeFileSync(new URL('../../docs/BENCHMARKS.md', import.meta.url), renderReport(results))
  log('wrote docs/BENCHMARKS.md')
}
