/**
 * Summarises V8 `.cpuprofile` files (from `BENCH_PROFILE=<dir>`) by self time per function,
 * then per package/file: `node src/report/profile-summary.ts <file.cpuprofile> [top]`.
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}

const [file, top = '25'] = process.argv.slice(2)
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] }
const hits = new Map<number, number>()
for (const sample of profile.samples) hits.set(sample, (hits.get(sample) ?? 0) + 1)
const byFunction = new Map<string, number>()
const byFile = new Map<string, number>()
for (const node of profile.nodes) {
  const { functionName, url, lineNumber } = node.callFrame
  const file = url ? url.replace(/^.*\/(node_modules|packages)\//, '$1/') : '(native)'
  const name = `${functionName || '(anonymous)'} ${url ? `${file}:${lineNumber + 1}` : ''}`.trim()
  const count = hits.get(node.id) ?? 0
  byFunction.set(name, (byFunction.get(name) ?? 0) + count)
  byFile.set(file, (byFile.get(file) ?? 0) + count)
}
const total = profile.samples.length
const print = (entries: Map<string, number>) => {
  for (const [name, count] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
    console.log(`${((count / total) * 100).toFixed(1).padStart(5)} %  ${name}`)
  }
}
console.log('self time by function:')
print(byFunction)
console.log('\nself time by file:')
print(byFile)
