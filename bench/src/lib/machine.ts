import { cpus, totalmem } from 'node:os'
import { tasksetAvailable } from './child.ts'

export interface MachineInfo {
  cpuModel: string
  cores: number
  memoryGiB: number
  node: string
  date: string
  taskset: boolean
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
  }
}
