/**
 * What a server keeps per connection: writes a heap snapshot of a target server holding
 * `count` idle subscribed connections and lists the object types (by constructor or V8 type)
 * whose instance count is at least the connection count, with their self bytes per connection.
 *
 *   node src/report/heap-summary.ts sluice-ws 2000
 */
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TARGETS, type TargetId } from '../lib/targets.ts'
import { connectSubscribers, withPair } from '../scenarios/harness.ts'

const [targetId = 'sluice-ws', countText = '2000'] = process.argv.slice(2)
const target = TARGETS[targetId as TargetId]
const count = Number(countText)
const path = join(tmpdir(), `bench-${targetId}-${process.pid}.heapsnapshot`)

await withPair(target, { openFiles: count + 200 }, async (pair) => {
  await connectSubscribers(pair, target, count)
  await pair.server.call('memory')
  await pair.server.call('heapSnapshot', { path })
})

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }
  nodes: number[]
  strings: string[]
}
const snapshot = JSON.parse(readFileSync(path, 'utf8')) as Snapshot
rmSync(path)
const fields = snapshot.snapshot.meta.node_fields
const width = fields.length
const typeAt = fields.indexOf('type')
const nameAt = fields.indexOf('name')
const sizeAt = fields.indexOf('self_size')
const types = snapshot.snapshot.meta.node_types[0]
const groups = new Map<string, { count: number; bytes: number }>()
for (let i = 0; i < snapshot.nodes.length; i += width) {
  const type = types[snapshot.nodes[i + typeAt]!]!
  const name = snapshot.strings[snapshot.nodes[i + nameAt]!]!
  const key = type === 'object' || type === 'closure' ? `${type} ${name}` : type
  const group = groups.get(key) ?? { count: 0, bytes: 0 }
  group.count++
  group.bytes += snapshot.nodes[i + sizeAt]!
  groups.set(key, group)
}
console.log(`${target.label}, ${count} connections: object types with ≥ 1 instance per connection`)
console.log('bytes/conn  instances/conn  type')
for (const [key, group] of [...groups]
  .filter(([, g]) => g.count >= count)
  .sort((a, b) => b[1].bytes - a[1].bytes)
  .slice(0, 30)) {
  console.log(
    `${(group.bytes / count).toFixed(0).padStart(10)}  ${(group.count / count).toFixed(2).padStart(14)}  ${key}`,
  )
}
