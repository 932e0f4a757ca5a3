import { readFileSync } from 'node:fs'

/**
 * Nanoseconds this process has spent runnable but waiting for a CPU (Linux /proc/self/schedstat,
 * second field), or null where that is not available. On a shared machine a pinned process
 * waits whenever another job holds its CPU: the wait, next to the CPU time, tells a disturbed
 * round from a slow server.
 */
export function runQueueWaitNs(): number | null {
  try {
    const fields = readFileSync('/proc/self/schedstat', 'utf8').trim().split(/\s+/)
    const wait = Number(fields[1])
    return Number.isFinite(wait) ? wait : null
  } catch {
    return null
  }
}
