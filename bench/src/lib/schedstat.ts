import { readFileSync } from 'node:fs'

/**
 * Nanoseconds this process has spent runnable but waiting for a CPU (Linux /proc/self/schedstat,
 * second field), or null where that is not available. On a shared machine a pinned process
 * waits whenever another job holds its CPU: the wait, next to the CPU time, tells a disturbed
 * round from a slow server.
 */
export function runQueueWaitNs(): number | null {
  return processSchedstat('self')?.waitNs ?? null
}

/**
 * CPU time and run-queue wait (ns) of a process's main thread so far: how the bench measures a
 * child it did not write (redis-server, which runs every command on its main thread), since such
 * a child cannot report its own cpuUsage().
 */
export function processSchedstat(pid: number | 'self'): { runNs: number; waitNs: number } | null {
  try {
    const fields = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/)
    const runNs = Number(fields[0])
    const waitNs = Number(fields[1])
    return Number.isFinite(runNs) && Number.isFinite(waitNs) ? { runNs, waitNs } : null
  } catch {
    return null
  }
}
