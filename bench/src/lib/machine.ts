import { execFileSync } from 'node:child_process'
import { cpus, loadavg, totalmem } from 'node:os'
import { tasksetAvailable } from './child.ts'

export interface MachineInfo {
  cpuModel: string
  cores: number
  memoryGiB: number
  node: string
  date: string
  taskset: boolean
  /** 1-minute load average when the run started: above ~0.5 other work shared the cores. */
  loadAverage: number
  /** The commit measured, and whether packages/ had uncommitted changes (then they were measured too). */
  commit: string
  packagesDirty: boolean
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return ''
  }
}

export function machineInfo(): MachineInfo {
  const list = cpus()
  return {
    cpuModel: list[0]?.model ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    date: new Date().toISOString(),
    taskset: tasksetAvailable,
    loadAverage: loadavg()[0] ?? Number.NaN,
    commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    // `:(top)`: the bench runs from bench/, where a bare `packages` pathspec matches nothing.
    packagesDirty: git(['status', '--porcelain', '--', ':(top)packages']) !== '',
  }
}
