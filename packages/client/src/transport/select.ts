import type { TransportKind } from '../connection-state'

/**
 * Which transport to try, in which order. The preference list is walked within one connect
 * attempt: when a transport cannot open (refused, closed or silent before its welcome) the next
 * one is tried at once, and the one that opened is remembered for later attempts. When every
 * transport failed the network or the server is down rather than a transport blocked, so the
 * memory is cleared and the next attempt starts from the top again.
 */
export function createTransportSelector(preference: readonly TransportKind[]) {
  // The remembered transport first, then the rest in preference order.
  let order = preference

  return {
    /** The transport a new connect attempt starts with. */
    startAttempt: (): TransportKind => order[0]!,
    /** After `kind` failed to open: the transport to try now, or null when the attempt is exhausted. */
    failed(kind: TransportKind): TransportKind | null {
      const next = order[order.indexOf(kind) + 1] ?? null
      if (!next) order = preference
      return next
    },
    opened(kind: TransportKind): void {
      order = [kind, ...preference.filter((other) => other !== kind)]
    },
    /** A transport preferred over the one in use, worth probing in the background. */
    preferred: (current: TransportKind): TransportKind | null =>
      preference[0] !== current ? preference[0]! : null,
  }
}

export type TransportSelector = ReturnType<typeof createTransportSelector>
