/**
 * Where a source stands. `standby`: connected, but another process holds the outbox's reader
 * lock for the same source name, so this one waits to take over. `reconnecting` waits for a
 * retry timer; `stopped` is final.
 */
export type SourceState = 'connecting' | 'standby' | 'live' | 'reconnecting' | 'stopped'

/** One state change, as the transition function saw it. */
export interface SourceTransition {
  from: SourceState
  to: SourceState
  reason: string
}

const TRANSITIONS: Record<SourceState, readonly SourceState[]> = {
  connecting: ['standby', 'live', 'reconnecting', 'stopped'],
  standby: ['live', 'reconnecting', 'stopped'],
  live: ['reconnecting', 'stopped'],
  reconnecting: ['connecting', 'stopped'],
  stopped: [],
}

/** True when the table allows `from → to`. */
export const canTransition = (from: SourceState, to: SourceState): boolean => TRANSITIONS[from].includes(to)

/**
 * A source's state machine: every change goes through `transition`, which checks the table,
 * stores the state and tells the listener `{from, to, reason}`. A move the table does not allow
 * (a late failure report after stop) is ignored and returns false.
 */
export function createSourceState(onChange: (transition: SourceTransition) => void) {
  let state: SourceState = 'connecting'
  return {
    get current(): SourceState {
      return state
    },
    transition(to: SourceState, reason: string): boolean {
      const from = state
      if (!canTransition(from, to)) return false
      state = to
      try {
        onChange({ from, to, reason })
      } catch {
        // A throwing listener must not stop the source.
      }
      return true
    },
  }
}
