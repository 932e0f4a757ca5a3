import { CONFIG } from '../lib/config.ts'
import { TARGETS } from '../lib/targets.ts'
import type { FanoutRun } from '../scenarios/fanout.ts'
import { DRAIN_MS } from '../scenarios/latency.ts'
import {
  formatBytes,
  formatNumber,
  formatSpread,
  medianOf,
  pairedDifferences,
  pairedRatios,
  table,
} from './format.ts'
import { evaluateGoals, evaluateRedisGoals } from './goals.ts'
import type { BenchResults, RunsByTarget } from './results.ts'

const labelOf = (id: string) => (id in TARGETS ? TARGETS[id as keyof typeof TARGETS].label : id)
const status = (met: boolean | null) => (met === null ? 'not measured' : met ? '**met**' : '**missed**')

function ratioLines<T>(
  runs: RunsByTarget<T>,
  subject: string,
  field: (run: T) => number,
  what: string,
): string {
  const mine = runs[subject]
  if (!mine) return ''
  const lines: string[] = []
  for (const [peer, peerRuns] of Object.entries(runs)) {
    if (peer === subject) continue
    const ratios = pairedRatios(mine.map(field), peerRuns.map(field))
    lines.push(`- ${labelOf(subject)} / ${labelOf(peer)} ${what}: ${formatSpread(ratios, 2, '×')}`)
  }
  return lines.join('\n')
}

/** A round's CPU columns: server busy and waiting for its core, load generator busy and waiting. */
function cpuColumns(
  list: Array<{
    serverCpuShare: number
    serverWaitShare: number | null
    loadCpuShare: number
    loadWaitShare: number | null
  }>,
): string[] {
  const percent = (share: (run: (typeof list)[number]) => number | null) =>
    formatSpread(
      list.map((run) => (share(run) ?? Number.NaN) * 100),
      0,
      ' %',
    )
  return [
    percent((run) => run.serverCpuShare),
    percent((run) => run.serverWaitShare),
    percent((run) => run.loadCpuShare),
    percent((run) => run.loadWaitShare),
  ]
}

function fanoutSection(results: BenchResults): string {
  if (!results.fanout) return ''
  const { subscribers, events } = (results.config as typeof CONFIG).fanout
  const part = (title: string, runs: RunsByTarget<FanoutRun>, subject: string) => {
    const rows = Object.entries(runs).map(([id, list]) => [
      labelOf(id),
      formatSpread(list.map((run) => run.deliveriesPerSecond)),
      formatSpread(
        list.map((run) => run.serverCpuUsPerDelivery),
        2,
      ),
      list[0]?.bytesPerDelivery == null
        ? 'n/a'
        : formatNumber(medianOf(list.map((run) => run.bytesPerDelivery ?? 0))),
      ...cpuColumns(list),
      `${formatNumber(list.reduce((sum, run) => sum + run.delivered, 0))} / ${formatNumber(
        list.reduce((sum, run) => sum + run.expected, 0),
      )}`,
    ])
    return [
      `### ${title}`,
      '',
      table(
        [
          'target',
          'deliveries/s',
          'server CPU µs / delivery',
          'bytes / delivery',
          'server CPU',
          'server waiting for CPU',
          'load-gen CPU',
          'load-gen waiting for CPU',
          'delivered / expected',
        ],
        rows,
      ),
      '',
      'Ratios (paired by round):',
      '',
      ratioLines(runs, subject, (run) => run.deliveriesPerSecond, 'deliveries/s'),
      ratioLines(runs, subject, (run) => run.serverCpuUsPerDelivery, 'server CPU per delivery'),
    ].join('\n')
  }
  return [
    '## 1. Fan-out throughput',
    '',
    `${formatNumber(subscribers)} subscribers of one topic; the server publishes ${formatNumber(events)} events of ~200 bytes`,
    'back to back (yielding one macrotask between events so sockets can flush). Deliveries/s counts',
    'every event × subscriber received, from the first publish to the last delivery. Server CPU is',
    "the server process's own `process.cpuUsage()` over the run, divided by deliveries; it is the",
    'steadier figure on a shared machine, since other jobs stretch wall time but not CPU time.',
    'Server / load-gen CPU are the share of one core each process used: a load-gen CPU near',
    '100 % means the load generator set the pace. "Waiting for CPU" is the share of the run the',
    'pinned process was ready to run while another job held its core (Linux schedstat): a round',
    'where either side waited much was disturbed, whatever its throughput says.',
    '',
    part('WebSocket', results.fanout.ws, 'sluice-ws'),
    '',
    part('Server-Sent Events', results.fanout.sse, 'sluice-sse'),
  ].join('\n')
}

function latencySection(results: BenchResults): string {
  if (!results.latency) return ''
  const parts = ['## 2. Latency at a fixed load', '']
  for (const level of results.latency.levels) {
    const demanded = level.subscribers * level.perSecond
    const rows = Object.entries(level.runs).map(([id, list]) => [
      labelOf(id),
      formatSpread(
        list.map((run) => run.p50Ms),
        1,
      ),
      formatSpread(
        list.map((run) => run.p99Ms),
        1,
      ),
      formatSpread(
        list.map((run) => run.maxMs),
        1,
      ),
      `${formatNumber(list.reduce((sum, run) => sum + run.lost, 0))} of ${formatNumber(
        list.reduce((sum, run) => sum + run.expected, 0),
      )}`,
      ...cpuColumns(list),
    ])
    parts.push(
      `### ${level.label} (${formatNumber(demanded)} deliveries/s asked)`,
      '',
      'Publish-to-receive time per delivery, from a timestamp the server writes into each payload,',
      'read by the load generator against the same machine clock. The timestamp is when the event',
      'was due at the fixed rate, so a publisher stalled by its own server is charged for the wait.',
      `Lost = deliveries not received ${DRAIN_MS / 1000} s after the publisher finished (or after 3 s without progress).`,
      '',
      table(
        [
          'target',
          'p50 ms',
          'p99 ms',
          'max ms',
          'lost',
          'server CPU',
          'server waiting for CPU',
          'load-gen CPU',
          'load-gen waiting for CPU',
        ],
        rows,
      ),
      '',
      'Ratios (paired by round):',
      '',
      ratioLines(level.runs, 'sluice-ws', (run) => run.p99Ms, 'p99'),
    )
  }
  return parts.join('\n')
}

function idleSection(results: BenchResults): string {
  if (!results.idle) return ''
  const rows = Object.entries(results.idle.runs).map(([id, list]) => [
    labelOf(id),
    formatSpread(list.map((run) => run.rssBytesPerConnection)),
    formatSpread(list.map((run) => run.heapBytesPerConnection)),
    formatSpread(list.map((run) => run.externalBytesPerConnection)),
  ])
  const differences = (a: string, b: string, field: 'rssBytesPerConnection' | 'heapBytesPerConnection') => {
    const left = results.idle!.runs[a]
    const right = results.idle!.runs[b]
    if (!left || !right) return 'n/a'
    return formatSpread(
      pairedDifferences(
        left.map((run) => run[field]),
        right.map((run) => run[field]),
      ),
      0,
      ' B',
    )
  }
  return [
    '## 3. Idle connections',
    '',
    `${formatNumber(results.idle.connections)} subscribed, idle connections. Server memory after a forced GC`,
    '(`--expose-gc`, two passes) with the connections open, minus the same before any connection,',
    'divided by the number of connections. Bytes per connection:',
    '',
    table(['target', 'RSS', 'V8 heap used', 'external'], rows),
    '',
    `- Sluice (WS) − raw ws: RSS ${differences('sluice-ws', 'raw-ws', 'rssBytesPerConnection')}, heap ${differences(
      'sluice-ws',
      'raw-ws',
      'heapBytesPerConnection',
    )} per connection`,
    `- Sluice (SSE) − raw SSE: RSS ${differences('sluice-sse', 'raw-sse', 'rssBytesPerConnection')}, heap ${differences(
      'sluice-sse',
      'raw-sse',
      'heapBytesPerConnection',
    )} per connection`,
  ].join('\n')
}

function resumeSection(results: BenchResults): string {
  if (!results.resume) return ''
  const labels: Record<string, string> = {
    sluice: 'Sluice client (WS)',
    socketio: 'Socket.IO connection-state recovery',
  }
  const rows = Object.entries(results.resume.runs).map(([id, list]) => [
    labels[id] ?? id,
    formatSpread(
      list.map((run) => run.ms),
      1,
      ' ms',
    ),
    formatSpread(list.map((run) => run.bytes)),
    `${list.map((run) => run.received).join(', ')}`,
    list.every((run) => run.recovered) ? 'yes' : `no (${list.filter((run) => !run.recovered).length} runs)`,
  ])
  return [
    '## 4. Resume after a reconnect',
    '',
    `A subscribed client loses its TCP connection (a proxy on 127.0.0.1 cuts it), the server publishes`,
    `${formatNumber(results.resume.missed)} events, the network comes back and the client catches up. Time runs from the`,
    'TCP accept of the reconnect to the last missed event in client state (the Sluice store, or the',
    'Socket.IO `event` handler); bytes are everything the server sent on that connection (handshake',
    'included), counted by the proxy. Both clients retry every 5 ms, so the backoff is not measured.',
    'Socket.IO runs with `connectionStateRecovery` on (off by default) and recovers from the offset',
    'of the last packet it got, so every run first delivers one warm-up event.',
    '',
    table(['client', 'catch-up time', 'bytes', 'events received', 'recovered'], rows),
  ].join('\n')
}

function clientSection(results: BenchResults): string {
  const parts: string[] = []
  if (results.merge) {
    parts.push(
      '## 5. Client',
      '',
      '### Merge cost of `crud`',
      '',
      'Updates/s applying `updated` events to random keys of a keyed list, in a pinned child process',
      '(each figure runs ≥ 250 ms). "One event per flush" is `apply(state, [event])` per update, the',
      'worst case (events arriving one per tick); "+ read `items`" also reads `state.items` after',
      'each, as a component rendering `data.items` does (`crud` builds that array lazily, so',
      'rendering through `at`/`slice`/iteration avoids it); "bursts of 100" is one `apply` per 100',
      'events. The naive baseline finds the item with `findIndex` and copies the array per update.',
      '',
      table(
        [
          'items',
          'crud, one event per flush',
          'crud, one event per flush + read `items`',
          'crud, bursts of 100',
          'naive copy-the-array',
          'crud (single) / naive',
        ],
        results.merge.map((run) => [
          formatNumber(run.size),
          formatSpread(run.crudSingle),
          formatSpread(run.crudSingleRead ?? []),
          formatSpread(run.crudBatch100),
          formatSpread(run.naive),
          formatSpread(pairedRatios(run.crudSingle, run.naive), 1, '×'),
        ]),
      ),
    )
  }
  if (results.burst) {
    const byTransport = (transport: 'ws' | 'sse') =>
      results.burst!.filter((run) => run.transport === transport)
    parts.push(
      '',
      `### A burst of ${formatNumber(CONFIG.burst.events)} events through React`,
      '',
      'The server publishes the burst back to back to a real client (default microtask scheduler)',
      'whose `crud` store feeds a component using `useRealtime` (react-dom 19 in happy-dom). Counted',
      'from the first event of the burst until all items are rendered:',
      '',
      table(
        ['transport', 'store notifications', 'React renders', 'items rendered', 'time to render all'],
        (['ws', 'sse'] as const)
          .filter((transport) => byTransport(transport).length > 0)
          .map((transport) => {
            const list = byTransport(transport)
            return [
              transport.toUpperCase(),
              formatSpread(list.map((run) => run.storeNotifications)),
              formatSpread(list.map((run) => run.reactRenders)),
              list.map((run) => run.itemsRendered).join(', '),
              formatSpread(
                list.map((run) => run.ms),
                0,
                ' ms',
              ),
            ]
          }),
      ),
    )
  }
  return parts.join('\n')
}

function bundleSection(results: BenchResults): string {
  if (!results.bundles) return ''
  const core = results.bundles.find((bundle) => bundle.id === 'sluice-client')
  return [
    '## 6. Bundle size',
    '',
    'esbuild 0.28.2 with the same settings for every entry: `bundle`, `minify`, `platform: browser`,',
    "`format: esm`, `target: es2020`, `NODE_ENV=production`, react/react-dom/vue external; Sluice's",
    'packages from their built `dist/` (what npm users get). gzip: node:zlib level 9.',
    '',
    table(
      ['import', 'min', 'min+gzip'],
      results.bundles.map((bundle) => [
        bundle.label,
        bundle.error ? `error: ${bundle.error.split('\n')[0]}` : formatBytes(bundle.minifiedBytes),
        bundle.error ? 'n/a' : formatBytes(bundle.gzipBytes),
      ]),
    ),
    core?.topInputs
      ? [
          '',
          'Largest inputs of the client core bundle (minified bytes in the output):',
          '',
          table(
            ['input', 'bytes'],
            core.topInputs
              .filter((input) => input.bytes > 0)
              .map((input) => [`\`${input.path}\``, formatNumber(input.bytes)]),
          ),
        ].join('\n')
      : '',
  ].join('\n')
}

const REDIS_LABELS = {
  publish: { memory: 'memory engine (reference)', redis: 'Redis engine' },
  cluster: { memory: 'one node, memory engine (reference)', redis: 'two nodes on one Redis' },
} as const

/** A share of one CPU as a percent spread; `n/a` when not measured (no Redis, no /proc). */
const percentSpread = (shares: readonly (number | null)[]) =>
  formatSpread(
    shares.map((share) => (share ?? Number.NaN) * 100),
    0,
    ' %',
  )

function redisSection(results: BenchResults): string {
  const redis = results.redis
  if (!redis) return ''
  const { publish, fanout, latency } = redis
  const engines = <T>(runs: RunsByTarget<T>, labels: Record<'memory' | 'redis', string>) =>
    (['memory', 'redis'] as const)
      .filter((id) => runs[id]?.length)
      .map((id) => [labels[id], runs[id]!] as const)
  const fanoutRatios =
    fanout.runs.redis && fanout.runs.memory
      ? formatSpread(
          pairedRatios(
            fanout.runs.redis.map((run) => run.deliveriesPerSecond),
            fanout.runs.memory.map((run) => run.deliveriesPerSecond),
          ),
          3,
          '×',
        )
      : 'n/a'
  const cpuRatios =
    fanout.runs.redis && fanout.runs.memory
      ? formatSpread(
          pairedRatios(
            fanout.runs.redis.map((run) => run.serverCpuUsPerDelivery),
            fanout.runs.memory.map((run) => run.serverCpuUsPerDelivery),
          ),
          2,
          '×',
        )
      : 'n/a'
  return [
    '## 7. Redis engine',
    '',
    `\`@sluice/redis\` on the bench's own ${redis.server} (loopback, no persistence: \`--save ''`,
    '--appendonly no`), every figure against the memory engine in the same rounds (the two',
    'alternate). Where Redis runs: for publish throughput, which has no load generator, on CPU 1',
    '(its own core, as on its own machine in production); for fan-out and latency, on CPU 0 with',
    'both nodes, so the whole deployment has the core the single memory-engine node has alone and',
    'the load generator keeps CPU 1. Node CPU excludes Redis, whose CPU is its own column (its',
    'main thread, from /proc schedstat).',
    '',
    '### Targets',
    '',
    table(
      ['target', 'result (median, min–max over rounds)', 'status', 'rounds meeting it'],
      evaluateRedisGoals(results).map((row) => [row.goal, row.result, status(row.met), row.rounds]),
    ),
    '',
    `No target is set for fan-out across nodes: two nodes on Redis deliver ${fanoutRatios} of one`,
    `memory-engine node's deliveries/s, at ${cpuRatios} its node CPU per delivery (paired by round).`,
    '',
    '### Publish throughput through one node',
    '',
    `\`server.publish\` for ${formatNumber(publish.durationMs / 1000, 1)} s with ${formatNumber(publish.inFlight)} publishes awaiting the engine at`,
    `all times, round-robin over ${formatNumber(publish.topics)} topics, ~200-byte events, no subscribers (the write`,
    'path alone; for Redis one Lua script per publish appends, numbers and broadcasts the event).',
    '',
    table(
      [
        'engine',
        'publishes/s',
        'node CPU µs / publish',
        'node CPU',
        'node waiting for CPU',
        'Redis CPU',
        'Redis waiting for CPU',
        'failed',
      ],
      engines(publish.runs, REDIS_LABELS.publish).map(([label, list]) => [
        label,
        formatSpread(list.map((run) => run.publishesPerSecond)),
        formatSpread(
          list.map((run) => run.serverCpuUsPerPublish),
          2,
        ),
        percentSpread(list.map((run) => run.serverCpuShare)),
        percentSpread(list.map((run) => run.serverWaitShare)),
        percentSpread(list.map((run) => run.redisCpuShare)),
        percentSpread(list.map((run) => run.redisWaitShare)),
        formatNumber(list.reduce((sum, run) => sum + run.failed, 0)),
      ]),
    ),
    '',
    '### Fan-out across two nodes',
    '',
    `Scenario 1's burst (${formatNumber(fanout.subscribers)} subscribers, ${formatNumber(fanout.events)} events published back to back) with the`,
    'subscribers split evenly over two nodes on one Redis and the events published into the first;',
    'deliveries/s counts both nodes. The reference is one memory-engine node with every subscriber.',
    'Node CPU is both nodes together (they share CPU 0 with Redis, so they wait for each other:',
    'no waiting column for them).',
    '',
    table(
      [
        'deployment',
        'deliveries/s',
        'node CPU µs / delivery',
        'node CPU',
        'Redis CPU',
        'load-gen CPU',
        'load-gen waiting for CPU',
        'delivered / expected',
      ],
      engines(fanout.runs, REDIS_LABELS.cluster).map(([label, list]) => [
        label,
        formatSpread(list.map((run) => run.deliveriesPerSecond)),
        formatSpread(
          list.map((run) => run.serverCpuUsPerDelivery),
          2,
        ),
        percentSpread(list.map((run) => run.serverCpuShare)),
        percentSpread(list.map((run) => run.redisCpuShare)),
        percentSpread(list.map((run) => run.loadCpuShare)),
        percentSpread(list.map((run) => run.loadWaitShare)),
        `${formatNumber(list.reduce((sum, run) => sum + run.delivered, 0))} / ${formatNumber(
          list.reduce((sum, run) => sum + run.expected, 0),
        )}`,
      ]),
    ),
    '',
    '### Latency across nodes at a fixed load',
    '',
    `Scenario 2's fixed load (${formatNumber(latency.subscribers)} subscribers × ${formatNumber(latency.perSecond)} events/s, for ${formatNumber(latency.durationMs / 1000)} s here)`,
    'with every subscriber on the second node and the events published on the first, so each',
    'delivery crosses Redis; the reference is one memory-engine node doing both. Publish-to-receive',
    'time from the due time in the payload, as in scenario 2.',
    '',
    table(
      [
        'deployment',
        'p50 ms',
        'p99 ms',
        'max ms',
        'lost',
        'node CPU',
        'Redis CPU',
        'load-gen CPU',
        'load-gen waiting for CPU',
      ],
      engines(latency.runs, REDIS_LABELS.cluster).map(([label, list]) => [
        label,
        formatSpread(
          list.map((run) => run.p50Ms),
          1,
        ),
        formatSpread(
          list.map((run) => run.p99Ms),
          1,
        ),
        formatSpread(
          list.map((run) => run.maxMs),
          1,
        ),
        `${formatNumber(list.reduce((sum, run) => sum + run.lost, 0))} of ${formatNumber(
          list.reduce((sum, run) => sum + run.expected, 0),
        )}`,
        percentSpread(list.map((run) => run.serverCpuShare)),
        percentSpread(list.map((run) => run.redisCpuShare)),
        percentSpread(list.map((run) => run.loadCpuShare)),
        percentSpread(list.map((run) => run.loadWaitShare)),
      ]),
    ),
  ].join('\n')
}

/** Renders docs/BENCHMARKS.md from one run's results. */
export function renderReport(results: BenchResults): string {
  const { machine } = results
  const goals = evaluateGoals(results)
  const sections = [
    '# Benchmarks',
    '',
    '<!-- Generated by `pnpm bench` (bench/src/run.ts). Do not edit by hand: rerun it. -->',
    '',
    `Run on ${machine.date.slice(0, 10)} (${machine.date}), ${results.runs} runs per target (latency: ${(results.config as typeof CONFIG).latencyRuns ?? results.runs}), alternating targets`,
    `A B C A B C…; each cell is the median with the min–max over runs. Ratios are taken within one`,
    'round (run i of A against run i of B) and then summarised the same way. How to run and what',
    'each scenario measures: [bench/README.md](../bench/README.md). Raw figures: `bench/results/`.',
    '',
    table(
      ['machine', ''],
      [
        ['CPU', machine.cpuModel],
        ['cores', String(machine.cores)],
        ['memory', `${machine.memoryGiB} GiB`],
        ['Node.js', machine.node],
        [
          'code measured',
          `commit ${machine.commit ?? 'unknown'}${machine.packagesDirty ? ' plus uncommitted changes under packages/' : ''}`,
        ],
        [
          'pinning',
          machine.taskset
            ? 'server on CPU 0, load generator on CPU 1 (`taskset -c`)'
            : 'none (taskset missing)',
        ],
        ['total run time', `${formatNumber(results.durationSeconds ?? Number.NaN)} s`],
        [
          'load average (1 min) at start / end',
          `${formatNumber(machine.loadAverage, 2)} / ${formatNumber(results.loadAverageAtEnd ?? Number.NaN, 2)}`,
        ],
      ],
    ),
    '',
    '> This machine is a shared 2-core VM: other jobs ran during the benchmark, so absolute figures',
    '> are noisy. The ratios between targets measured in the same round are what to read.',
    '',
    '## Goals',
    '',
    'Each goal is judged on the median over rounds; the last column says how many rounds meet it',
    'on their own (rounds that disagree mean the machine noise is larger than the margin).',
    '',
    table(
      ['goal', 'result (median, min–max over rounds)', 'status', 'rounds meeting it'],
      goals.map((row) => [row.goal, row.result, status(row.met), row.rounds]),
    ),
    results.redis ? "\nThe Redis engine's targets are judged in [section 7](#7-redis-engine)." : '',
    '',
    fanoutSection(results),
    '',
    latencySection(results),
    '',
    idleSection(results),
    '',
    resumeSection(results),
    '',
    clientSection(results),
    '',
    bundleSection(results),
    '',
    redisSection(results),
  ]
  if (results.notes.length > 0) sections.push('', '## Notes', '', ...results.notes.map((note) => `- ${note}`))
  return `${sections
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`
}
