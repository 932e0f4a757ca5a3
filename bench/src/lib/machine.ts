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
  }
}
