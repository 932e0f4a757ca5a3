import { atom, type ReadableAtom } from 'nanostores'
import type { ClientError } from './client-error'

/**
 * Where the connection stands. `reconnecting` waits for a retry timer; `offline` waits for the
 * environment's `online` event and schedules nothing; `closed` is final (client.close() or a
 * terminal error such as a rejected token).
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'offline' | 'closed'

export type TransportKind = 'ws' | 'sse'

/** The value of `client.$connection`. */
export interface ConnectionState {
  status: ConnectionStatus
  /** The transport of the open (or opening) connection. */
  transport: TransportKind | null
  /** The server's id of the open connection (its `welcome.connectionId`, as presence members carry it); null while not open. */
  connectionId: string | null
  /** Failed connects since the last successful one. */
  attempt: number
  /** When the next connect is scheduled (ms since the Unix epoch), while `reconnecting`. */
  nextRetryAt: number | null
  /** Why the last connection ended or failed; null once open again. */
  error: ClientError | null
}

/** One status change, as the transition function saw it. */
export interface Transition {
  from: ConnectionStatus
  to: ConnectionStatus
  reason: string
}

const TRANSITIONS: Record<ConnectionStatus, readonly ConnectionStatus[]> = {
  idle: ['connecting', 'offline', 'closed'],
  connecting: ['open', 'reconnecting', 'offline', 'closed'],
  open: ['reconnecting', 'offline', 'closed'],
  reconnecting: ['connecting', 'offline', 'closed'],
  offline: ['connecting', 'closed'],
  closed: [],
}

/** True when the table allows `from → to`. */
export const canTransition = (from: ConnectionStatus, to: ConnectionStatus): boolean =>
  TRANSITIONS[from].includes(to)

export const INITIAL_CONNECTION_STATE: ConnectionState = {
  status: 'idle',
  transport: null,
  connectionId: null,
  attempt: 0,
  nextRetryAt: null,
  error: null,
}

/**
 * The connection's state machine: every status change goes through `transition`, which checks
 * the table, stores the new state and tells listeners `{from, to, reason}`. Field updates that
 * keep the status (transport switch) go through `patch`.
 */
export function createConnectionState() {
  const $state = atom<ConnectionState>(INITIAL_CONNECTION_STATE)
  const listeners = new Set<(transition: Transition, state: ConnectionState) => void>()
  const patch = (fields: Partial<ConnectionState>) => $state.set({ ...$state.get(), ...fields })

  return {
    $state: $state as ReadableAtom<ConnectionState>,
    get status(): ConnectionStatus {
      return $state.get().status
    },
    /** `nextRetryAt` only means something while reconnecting: a transition clears it unless `fields` set it. */
    transition(
      to: ConnectionStatus,
      reason: string,
      fields: Partial<Omit<ConnectionState, 'status'>> = {},
    ): boolean {
      const from = $state.get().status
      if (!canTransition(from, to)) return false
      patch({ nextRetryAt: null, ...fields, status: to })
      for (const listener of listeners) listener({ from, to, reason }, $state.get())
      return true
    },
    patch: patch as (fields: Partial<Omit<ConnectionState, 'status'>>) => void,
    onTransition(listener: (transition: Transition, state: ConnectionState) => void): () => void {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

export type ConnectionStateMachine = ReturnType<typeof createConnectionState>
