import type { TransportKind } from '../connection-state'

/**
 * Which transport to try, in which order. The preference list is walked within one connect
 * attempt: when a transport cannot open (refused, closed or silent before its welcome) the next
 * one is tried at once, and the one that opened is remembered for later attempts. When every
 * transport failed the network or the server is down rather than a transport blocked, so the
 * memory is cleared and the next attempt starts from the top again.
 */
export function createTransportSelector(preference: readonly TransportKind[]) {
  let remembered = 0
  let order: TransportKind[] = []

  return {
    /** The order for a new connect attempt: the remembered transport first, then the rest. */
    startAttempt(): TransportKind {
      const first = preference[remembered] as TransportKind
      order = [first, ...preference.filter((kind) => kind !== first)]
      return first
    },
    /** After `kind` failed to open: the transport to try now, or null when the attempt is exhausted. */
    failed(kind: TransportKind): TransportKind | null {
      const next = order[order.indexOf(kind) + 1] ?? null
      if (next === null) remembered = 0
      return next
    },
    opened(kind: TransportKind): void {
      remembered = Math.max(0, preference.indexOf(kind))
    },
    /** A transport preferred over the one in use, worth probing in the background. */
    preferred(current: TransportKind): TransportKind | null {
      const first = preference[0] as TransportKind
      return first !== current ? first : null
    },
  }
}

export type TransportSelector = ReturnType<typeof createTransportSelector>
