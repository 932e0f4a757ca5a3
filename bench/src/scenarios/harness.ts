import { fileURLToPath } from 'node:url'
import { Child } from '../lib/child.ts'
import { sleep } from '../lib/clock.ts'
import type { Target } from '../lib/targets.ts'
import type { TargetOptions } from '../servers/target-server.ts'

const SERVER_MAIN = fileURLToPath(new URL('../servers/server-main.ts', import.meta.url))
const LOAD_MAIN = fileURLToPath(new URL('../load/load-main.ts', import.meta.url))

/**
 * Extra node flags for server children, for investigating a result (they skew timings):
 * `BENCH_PROFILE=<dir>` writes a V8 CPU profile per server there; `BENCH_SERVER_ARGS` adds
 * any flags, e.g. `--trace-gc`.
 */
const profileArgs = [
  ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
  ...(process.env.BENCH_SERVER_ARGS?.split(' ').filter(Boolean) ?? []),
]

/** The server on CPU 0 and the load generator on CPU 1. */
export const SERVER_CPU = 0
export const LOAD_CPU = 1

export interface Pair {
  server: Child
  load: Child
  port: number
}

export interface PairOptions {
  server?: TargetOptions
  openFiles?: number
}

/**
 * Starts a server child (`target` is a server-main target name) pinned to the server CPU; it
 * answers `ready` with its port. For runs that need no load generator; else see {@link withNodes}.
 */
export function startServer(target: string, options: TargetOptions = {}, openFiles?: number): Child {
  return new Child(SERVER_MAIN, [target, JSON.stringify(options)], {
    cpu: SERVER_CPU,
    nodeArgs: ['--expose-gc', ...profileArgs],
    ...(openFiles !== undefined && { openFiles }),
  })
}

/** Starts a target server and a load generator, runs `body`, and always stops both. */
export async function withPair<T>(
  target: Target,
  options: PairOptions,
  body: (pair: Pair) => Promise<T>,
): Promise<T> {
  return withNodes(target, [options.server ?? {}], options, ({ nodes: [node], load }) =>
    body({ server: node!.server, port: node!.port, load }),
  )
}

/** One server process of a deployment, and its port. */
export interface ServerNode {
  server: Child
  port: number
}

/**
 * Starts one server per entry of `servers` (several nodes of one deployment, all on the server
 * CPU) and one load generator, runs `body`, and always stops them all.
 */
export async function withNodes<T>(
  target: Target,
  servers: readonly TargetOptions[],
  options: Pick<PairOptions, 'openFiles'>,
  body: (group: { nodes: ServerNode[]; load: Child }) => Promise<T>,
): Promise<T> {
  const { openFiles } = options
  const children = servers.map((server) => startServer(target.server, server, openFiles))
  const load = new Child(LOAD_MAIN, [], { cpu: LOAD_CPU, ...(openFiles !== undefined && { openFiles }) })
  try {
    const [infos] = await Promise.all([Promise.all(children.map((child) => child.ready)), load.ready])
    const nodes = children.map((server, n) => ({ server, port: (infos[n] as { port: number }).port }))
    return await body({ nodes, load })
  } finally {
    await Promise.all([...children.map((child) => child.stop()), load.stop()])
  }
}

export interface ConnectResult {
  connected: number
  failed: number
  firstError: string | null
  ms: number
}

/**
 * Opens `count` subscribers and waits until the server has registered them all (when it can
 * say), so no published event can reach a subscriber that is only half set up.
 */
export async function connectSubscribers(pair: Pair, target: Target, count: number): Promise<ConnectResult> {
  const spec = { kind: target.client, url: target.url(pair.port), readyOn: target.readyOn }
  const result = await pair.load.call<ConnectResult>('connect', { spec, count, concurrency: 100 })
  if (result.connected !== count) {
    throw new Error(`${target.id}: ${result.connected}/${count} subscribers connected (${result.firstError})`)
  }
  const deadline = performance.now() + 10_000
  for (;;) {
    const registered = await pair.server.call<number | null>('subscriberCount')
    if (registered === null || registered >= count) break
    if (performance.now() > deadline)
      throw new Error(`${target.id}: server registered ${registered}/${count}`)
    await sleep(20)
  }
  return result
}

/** Runs every target `runs` times, interleaved A B C A B C so drift hits all targets alike. */
export async function interleave<K extends { id: string; label: string }, T>(
  targets: readonly K[],
  runs: number,
  runOnce: (target: K, run: number) => Promise<T>,
  log: (line: string) => void,
): Promise<Map<string, T[]>> {
  const results = new Map<string, T[]>(targets.map((target) => [target.id, []]))
  for (let run = 0; run < runs; run++) {
    for (const target of targets) {
      const result = await runOnce(target, run)
      results.get(target.id)!.push(result)
      log(`  run ${run + 1}/${runs} ${target.label}: ${JSON.stringify(result)}`)
    }
  }
  return results
}
