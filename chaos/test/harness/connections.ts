import type { SluiceServer } from '@sluice/server-node'
import { within } from '../support/wait'

/**
 * Resolves with the ms it took once the server counts `count` open connections (its registry,
 * as `stats()` reports it); fails after `ms` naming `what`. Polled: the registry has no event.
 */
export async function connectionsReach(
  server: SluiceServer,
  count: number,
  ms: number,
  what: string,
): Promise<number> {
  const started = performance.now()
  let timer: ReturnType<typeof setTimeout> | undefined
  const reached = new Promise<void>((resolve) => {
    const check = () => {
      if (server.stats().connections === count) resolve()
      else timer = setTimeout(check, 5)
    }
    check()
  })
  try {
    await within(reached, ms, `${what} (want ${count} connections)`)
  } finally {
    clearTimeout(timer)
  }
  return performance.now() - started
}
