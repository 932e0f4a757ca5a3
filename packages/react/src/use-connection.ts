import type { ConnectionState } from '@sluice/client'
import { useDebugValue } from 'react'
import type { RealtimeClient } from './realtime-client'
import { useClient } from './sluice-provider'
import { useStore } from './use-store'

/**
 * The connection's status, transport and retry state, re-rendering when they change. Without
 * an argument it uses the client of the nearest {@link SluiceProvider}.
 *
 * @example
 * const { status, transport } = useConnection(client)
 * if (status === 'reconnecting') return <Banner>Reconnecting…</Banner>
 */
export function useConnection(client?: RealtimeClient): ConnectionState {
  const fromContext = useClient(client === undefined)
  const state = useStore((client ?? fromContext!).$connection)
  // React DevTools shows e.g. "open ws"; formatted only when inspected.
  useDebugValue(state, formatConnection)
  return state
}

// Status and transport only: attempt and error are in the hook's value DevTools shows below it.
const formatConnection = ({ status, transport }: ConnectionState): string => `${status} ${transport ?? ''}`
