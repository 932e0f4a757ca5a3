/**
 * Re-renders a report from a results file without rerunning anything:
 * `node src/report/render.ts [results.json] [out.md]` (defaults: results/latest.json →
 * docs/BENCHMARKS.md).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { renderReport } from './markdown.ts'
import type { BenchResults } from './results.ts'

const input = resolve(process.argv[2] ?? new URL('../../results/latest.json', import.meta.url).pathname)
const output = resolve(process.argv[3] ?? new URL('../../../docs/BENCHMARKS.md', import.meta.url).pathname)
writeFileSync(output, renderReport(JSON.parse(readFileSync(input, 'utf8')) as BenchResults))
console.log(`wrote ${output}`)
